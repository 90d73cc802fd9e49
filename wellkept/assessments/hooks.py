"""What a check-in tells the apps above ``assessments`` (connected in their ``ready()``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from wellkept.actors import Actor
from wellkept.assessments.models import SafetyAlert
from wellkept.hooks import Hook


@dataclass(frozen=True)
class StoredResponse:
    """One scored response, by reference and placement: what aggregates need, no answers."""

    response_id: str
    participant_id: Any
    organisation_id: Any
    instrument: str
    day: dt.date
    unit_id: Any
    shift_type_id: Any
    role_category: str
    total: int | None
    band: str | None


@dataclass(frozen=True)
class ResponsesStored:
    """A check-in was submitted and its responses stored (one payload per check-in)."""

    responses: tuple[StoredResponse, ...]


@dataclass(frozen=True)
class SafetyAlertRaised:
    """A response signalled risk and the person agreed to be contacted about it."""

    actor: Actor
    alert: SafetyAlert


RESPONSES_STORED: Hook[ResponsesStored] = Hook("assessments.responses_stored", ResponsesStored)
SAFETY_ALERT_RAISED: Hook[SafetyAlertRaised] = Hook(
    "assessments.safety_alert_raised", SafetyAlertRaised
)
