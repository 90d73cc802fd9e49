"""Setting up a wellbeing programme: the programme, its check-in schedules, its support resources.

``services`` holds the writes (for the system administrator's pages and for
commands), ``selectors`` the reads and accessors the pages use, and
``validation`` the checks on what an administrator types. Everything the
rest of Wellkept needs is importable from here.
"""

from wellkept.assessments.programmes.selectors import (
    get_programme_for,
    get_schedule_for,
    get_support_resource_for,
    instrument_labels,
    opening_problems,
    organisations_managed_by,
    programme_resource,
    programmes_of,
    programmes_resource,
)
from wellkept.assessments.programmes.services import (
    programme_close,
    programme_create,
    programme_open,
    programme_update,
    schedule_add,
    schedule_remove,
    schedule_update,
    support_resource_add,
    support_resource_remove,
    support_resource_update,
)
from wellkept.assessments.programmes.validation import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    PROGRAMME_NAME_MAX,
    RESOURCE_NAME_MAX,
    SCHEDULE_NAME_MAX,
    WELCOME_MAX,
)

__all__ = [
    "CONTACT_MAX",
    "DESCRIPTION_MAX",
    "PROGRAMME_NAME_MAX",
    "RESOURCE_NAME_MAX",
    "SCHEDULE_NAME_MAX",
    "WELCOME_MAX",
    "get_programme_for",
    "get_schedule_for",
    "get_support_resource_for",
    "instrument_labels",
    "opening_problems",
    "organisations_managed_by",
    "programme_close",
    "programme_create",
    "programme_open",
    "programme_resource",
    "programme_update",
    "programmes_of",
    "programmes_resource",
    "schedule_add",
    "schedule_remove",
    "schedule_update",
    "support_resource_add",
    "support_resource_remove",
    "support_resource_update",
]
