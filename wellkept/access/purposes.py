"""The fixed catalogue of purposes a caller may declare for touching personal data.

Every access names one purpose. The prohibited ones are in the catalogue only
so that a request naming them can be recognised, refused and audited as
``access.purpose_refused``: no role, rule, grant or setting can allow them
(``wellkept.access.policy`` checks its own table for them at import time).
"""

from __future__ import annotations

from django.db import models


class Purpose(models.TextChoices):
    BURNOUT_FOLLOW_UP = "burnout_follow_up", "Burnout mitigation follow-up"
    CLINICAL_CARE = "clinical_care", "Clinical care"
    QUALITY_IMPROVEMENT_AGGREGATE = (
        "quality_improvement_aggregate",
        "Programme quality improvement, in aggregate",
    )
    AUDIT_OVERSIGHT = "audit_oversight", "Audit and oversight"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    SAFETY_EMERGENCY = "safety_emergency", "Safety emergency"
    # Not in the list, but the roles table needs them: a person
    # looking after their own account or data, and the system administrator
    # running the service (users, roles, units, keys, backups). Neither ever
    # reaches someone else's clinical content.
    SELF_SERVICE = "self_service", "A person's own data, for themselves"
    SERVICE_ADMINISTRATION = "service_administration", "Running the service"
    # Prohibited: DESIGN.md says the data may serve burnout mitigation only.
    DISCIPLINE = "discipline", "Discipline (prohibited)"
    PERFORMANCE_REVIEW = "performance_review", "Performance review (prohibited)"
    CREDENTIALING = "credentialing", "Credentialing (prohibited)"
    EMPLOYMENT_DECISION = "employment_decision", "Employment decision (prohibited)"


PROHIBITED: frozenset[Purpose] = frozenset(
    {
        Purpose.DISCIPLINE,
        Purpose.PERFORMANCE_REVIEW,
        Purpose.CREDENTIALING,
        Purpose.EMPLOYMENT_DECISION,
    }
)

LAWFUL: frozenset[Purpose] = frozenset(Purpose) - PROHIBITED


class UnknownPurpose(ValueError):
    """A purpose that is not in the catalogue: a programming or input error, never a grant."""


def parse_purpose(value: Purpose | str) -> Purpose:
    """Return the catalogue entry for ``value`` or raise UnknownPurpose."""
    try:
        return Purpose(value)
    except ValueError:
        known = ", ".join(sorted(Purpose.values))
        raise UnknownPurpose(f"Unknown purpose {value!r}; the catalogue has: {known}.") from None


def is_prohibited(purpose: Purpose) -> bool:
    return purpose in PROHIBITED
