"""Reads of treatment plans. Every read goes through the policy and is audited.

- ``get_plan_for``: one version of a client's plan, or 404 for missing and forbidden alike.
- ``client_plans``: the client's plan versions the actor may read, newest first.
- ``reviews_due``: active plans whose review is within a week or past, for the actor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import Caller
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Client, PlanStatus, TreatmentPlan

PLAN_PURPOSE = Purpose.CLINICAL_CARE
REVIEW_AHEAD = dt.timedelta(days=7)


def get_plan_for(
    *,
    actor: Caller,
    client: Client,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> TreatmentPlan:
    """Return the client's plan version the actor may ``action``, or 404."""
    return get_for(
        actor=actor,
        queryset=TreatmentPlan.objects.filter(client=client).select_related("client", "author"),
        pk=pk,
        action=action or declared_action(ResourceKind.CLIENT_RECORD, Action.READ),
        purpose=PLAN_PURPOSE,
        request=request,
    )


def client_plans(
    *, actor: Caller, client: Client, request: HttpRequest | None = None
) -> list[TreatmentPlan]:
    """The client's plan versions the actor may read, newest version first."""
    rows = visible(
        actor,
        Action.READ,
        TreatmentPlan.objects.filter(client=client).select_related("author"),
        PLAN_PURPOSE,
        request=request,
    )
    return list(rows.order_by("-version"))


def reviews_due(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> list[TreatmentPlan]:
    """Active plans the actor may read whose review date is within a week, or past."""
    today = clock.now().astimezone(dt.UTC).date()
    rows = visible(
        actor,
        Action.READ,
        TreatmentPlan.objects.filter(
            client__organisation=organisation,
            status=PlanStatus.ACTIVE,
            review_date__lte=today + REVIEW_AHEAD,
        ).select_related("client"),
        PLAN_PURPOSE,
        request=request,
    )
    return list(rows.order_by("review_date", "client__code"))
