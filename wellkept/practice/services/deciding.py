"""What every practice service shares: the purpose it acts under, the refusal, today's date.

One copy, so that a change to how the practice decides (a purpose, the
wording of a refusal) is made once for clients, schedule, notes, plans,
measures and billing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource
from wellkept.actors import Actor, SystemActor


def purpose_of(actor: Actor) -> Purpose:
    """Commands and jobs (demo seeding, erasure, retention) administer; staff give care."""
    return (
        Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else Purpose.CLINICAL_CARE
    )


def allow(
    actor: Actor,
    action: Action,
    resource: Resource,
    request: HttpRequest | None,
    what: str,
    purpose: Purpose | None = None,
) -> None:
    """Ask the policy (which audits a refusal); raise PermissionDenied saying what was refused."""
    if not can(actor, action, resource, purpose or purpose_of(actor), request=request):
        raise PermissionDenied(f"You may not {what}.")


def today() -> dt.date:
    return clock.now().astimezone(dt.UTC).date()
