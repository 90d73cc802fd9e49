"""The practice's writes, one module per concept; each service audits in its transaction."""

from wellkept.practice.services.clients import (
    CODE_ATTEMPTS,
    INTAKE_FIELDS,
    NAME_MAX,
    OLDEST_AGE,
    TEXT_MAX,
    GuardianDetails,
    Intake,
    client_assign,
    client_create,
    client_erase,
    client_unassign,
    client_update,
    supervision_start,
)

__all__ = [
    "CODE_ATTEMPTS",
    "INTAKE_FIELDS",
    "NAME_MAX",
    "OLDEST_AGE",
    "TEXT_MAX",
    "GuardianDetails",
    "Intake",
    "client_assign",
    "client_create",
    "client_erase",
    "client_unassign",
    "client_update",
    "supervision_start",
]
