"""Writes on the insights side: rebuilding the store and changing disclosure settings."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.insights import store
from wellkept.insights.models import MIN_GROUP_SIZE_FLOOR, InsightsSettings
from wellkept.orgs.models import Organisation


def _store_resource(organisation: Organisation) -> Resource:
    return Resource(
        kind=ResourceKind.AGGREGATE,
        reference=f"aggregate:{organisation.pk}/store",
        organisation_id=organisation.pk,
    )


def insights_rebuild(
    *,
    actor: Any,
    organisation: Organisation,
    progress: Callable[[int], object] | None = None,
) -> store.RebuildResult:
    """Recompute the organisation's cells from its encrypted responses; audited."""
    if not can(
        actor,
        Action.UPDATE,
        _store_resource(organisation),
        Purpose.SERVICE_ADMINISTRATION,
        consent_ok=True,
    ):
        raise PermissionDenied("Only a maintenance command may rebuild the aggregate store.")
    with transaction.atomic():
        result = store.rebuild(organisation, progress=progress)
        audit_record(
            actor=actor,
            event=EventType.CONFIG_CHANGED,
            target=f"aggregate:{organisation.pk}/store",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason=(
                f"rebuilt {result.cells} cells from {result.responses} responses"
                + ("; the incremental cells differed" if result.changed else "")
            ),
        )
    return result


def insights_settings_update(
    *,
    actor: Any,
    organisation: Organisation,
    min_group_size: int | None = None,
    dp_enabled: bool | None = None,
    epsilon_per_quarter: float | None = None,
    epsilon_per_release: float | None = None,
) -> InsightsSettings:
    """Change the organisation's disclosure-control parameters; audited as config.changed."""
    resource = Resource(
        kind=ResourceKind.CONSENT_CONFIG,
        reference=f"organisation:{organisation.pk}/insights-settings",
        organisation_id=organisation.pk,
    )
    if not can(actor, Action.UPDATE, resource, _purpose(actor), consent_ok=True):
        raise PermissionDenied("Only the privacy officer can change disclosure control.")
    if min_group_size is not None and min_group_size < MIN_GROUP_SIZE_FLOOR:
        raise ValidationError(
            f"The minimum group size cannot be below {MIN_GROUP_SIZE_FLOOR}: smaller groups "
            "single people out.",
            code="k_too_small",
        )
    for name, value in (
        ("epsilon_per_quarter", epsilon_per_quarter),
        ("epsilon_per_release", epsilon_per_release),
    ):
        # NaN passes every comparison the validators and the database check
        # make, and a NaN budget would never run out: refuse it here.
        if value is not None and not math.isfinite(value):
            raise ValidationError(
                {name: f"Give {name.replace('_', ' ')} as a positive number, such as 0.1."},
                code="not_finite",
            )
    with transaction.atomic():
        found = InsightsSettings.objects.select_for_update().filter(organisation=organisation)
        current = found.first() or InsightsSettings(organisation=organisation)
        changes = {
            "min_group_size": min_group_size,
            "dp_enabled": dp_enabled,
            "epsilon_per_quarter": epsilon_per_quarter,
            "epsilon_per_release": epsilon_per_release,
        }
        changed = []
        for name, value in changes.items():
            if value is not None and getattr(current, name) != value:
                setattr(current, name, value)
                changed.append(name)
        if not changed:
            return current
        current.updated_at = clock.now()
        current.full_clean(exclude=["organisation"])
        if current.epsilon_per_release > current.epsilon_per_quarter:
            # Checked on the values that would result, once each is valid
            # alone, so the command line cannot set a release that no
            # quarter's budget can pay for.
            raise ValidationError(
                {
                    "epsilon_per_release": (
                        f"ε per release ({current.epsilon_per_release:g}) cannot exceed ε per "
                        f"quarter ({current.epsilon_per_quarter:g}): every figure would be "
                        "hidden. Lower ε per release or raise the quarter's budget."
                    )
                },
                code="release_over_budget",
            )
        if current._state.adding:
            current.save(force_insert=True)
        else:
            current.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            event=EventType.CONFIG_CHANGED,
            target=resource.reference,
            purpose=_purpose(actor).value,
            reason="; ".join(f"{name}={getattr(current, name)}" for name in changed),
        )
    return current


def _purpose(actor: Any) -> Purpose:
    from wellkept.actors import SystemActor

    return (
        Purpose.SERVICE_ADMINISTRATION
        if isinstance(actor, SystemActor)
        else Purpose.AUDIT_OVERSIGHT
    )
