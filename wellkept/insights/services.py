"""Writes on the insights side: releasing figures, rebuilding the store, changing the settings."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, decide
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import Actor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.insights import store
from wellkept.insights.disclosure import Figure
from wellkept.insights.models import MIN_GROUP_SIZE_FLOOR, InsightsSettings, Release
from wellkept.insights.periods import GRAINS, PERIODS_PER_QUARTER, Grain, period_of, recent
from wellkept.insights.selectors import (
    Dashboard,
    Query,
    aggregate_resource,
    dashboard_plan,
    standard_views,
)
from wellkept.orgs.models import Organisation

# The daily job that noises closed periods in differential-privacy mode.
RELEASE_JOB = SystemActor("insights-release-periods")


def _store_resource(organisation: Organisation) -> Resource:
    return Resource(
        kind=ResourceKind.AGGREGATE,
        reference=f"aggregate:{organisation.pk}/store",
        organisation_id=organisation.pk,
    )


def dashboard_release(
    *,
    actor: Actor,
    organisation: Organisation,
    query: Query,
    purpose: Purpose = Purpose.QUALITY_IMPROVEMENT_AGGREGATE,
    action: Action = Action.VIEW_AGGREGATE,
    request: HttpRequest | None = None,
    today: dt.date | None = None,
) -> Dashboard:
    """Answer a dashboard, deciding and recording its new figures; Http404 if refused.

    The viewer's audit entry (``aggregate.view``, or ``record.export``) and
    the ledger rows of the figures released for them commit together or not
    at all: a release is never recorded without who it was made for, and a
    view is never audited with figures that were then not kept. A refusal
    is audited and committed, then answered like a missing page.
    """
    resource = aggregate_resource(organisation, query.reference)
    # Cells are read before the transaction: outside one the vault keeps the
    # aggregate key it unwraps for the next cell. Nobody refused gets that far.
    plan = None
    if decide(
        actor=actor, action=action, resource=resource, purpose=purpose, consent_ok=True
    ).allowed:
        plan = dashboard_plan(organisation, query, today=today)
    dashboard = None
    with transaction.atomic():
        if can(actor, action, resource, purpose, request=request, consent_ok=True):
            # Allowed now although refused a moment ago: plan inside, as rarely happens.
            plan = plan or dashboard_plan(organisation, query, today=today)
            released: dict[str, Figure] = {}
            for batch in plan.batches:
                released.update(plan.releaser.release(batch))
            dashboard = plan.assemble(released)
    if dashboard is None:
        raise Http404("No such dashboard.")
    return dashboard


def insights_rebuild(
    *,
    actor: Actor,
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
    actor: Actor,
    organisation: Organisation,
    min_group_size: int | None = None,
    dp_enabled: bool | None = None,
    epsilon_per_quarter: float | None = None,
    epsilon_per_release: float | None = None,
    narrowing_share: float | None = None,
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
        ("narrowing_share", narrowing_share),
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
            "narrowing_share": narrowing_share,
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
        if current.epsilon_per_release * PERIODS_PER_QUARTER > current.epsilon_per_quarter + 1e-9:
            # Checked on the values that would result, once each is valid
            # alone. Each period (up to 14 weeks, 3 months and the quarter)
            # is released once: the quarter's budget must pay for all of
            # them, or the last periods asked for would find it spent.
            raise ValidationError(
                {
                    "epsilon_per_release": (
                        f"ε per release ({current.epsilon_per_release:g}) times the "
                        f"{PERIODS_PER_QUARTER} periods of a quarter cannot exceed ε per quarter "
                        f"({current.epsilon_per_quarter:g}): the last periods would stay hidden. "
                        "Lower ε per release or raise the quarter's budget."
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


def _purpose(actor: Actor) -> Purpose:
    return (
        Purpose.SERVICE_ADMINISTRATION
        if isinstance(actor, SystemActor)
        else Purpose.AUDIT_OVERSIGHT
    )


@dataclass(frozen=True)
class PeriodsReleased:
    organisations: int
    released: int

    def summary(self) -> str:
        return (
            f"Differential privacy: {self.released} closed periods released once for everyone "
            f"in {self.organisations} organisations."
        )


def insights_release_periods(
    *, actor: Actor = RELEASE_JOB, today: dt.date | None = None
) -> PeriodsReleased:
    """Noise each closed period once, ahead of any viewer, where differential privacy is on.

    The actor (the scheduler's job unless a caller names another) must be
    allowed to update the organisation's aggregates; the decision is
    audited once per organisation with periods to release, and what each
    release spent is in the ledger (``NoisyRelease``).

    Idempotent: a period already released is left as it is, so the job can
    run on several hosts or twice a day and spends each period's budget once.
    Looks back two periods per grain, so a day the job missed is caught up.
    """
    from wellkept.assessments.models import Schedule
    from wellkept.insights.disclosure import ENROLMENT, Releaser
    from wellkept.insights.models import NoisyRelease
    from wellkept.insights.privacy import period_release

    today = today or clock.now().astimezone(dt.UTC).date()
    organisations = released = 0
    for found in InsightsSettings.objects.filter(dp_enabled=True).select_related("organisation"):
        organisation = found.organisation
        organisations += 1
        families = sorted(
            {
                str(code)
                for schedule in Schedule.objects.filter(programme__organisation=organisation)
                for code in schedule.instruments or []
            }
        )
        wanted: list[tuple[str, Grain | None, dt.date]] = [
            (family, grain, start)
            for family in families
            for grain in GRAINS
            for start in recent(grain, 2, today)
        ]
        wanted.append((ENROLMENT, None, period_of(Grain.QUARTER, today)))
        missing = [
            (family, grain, start)
            for family, grain, start in wanted
            if not NoisyRelease.objects.filter(
                organisation=organisation,
                family=family,
                grain=grain.value if grain else "",
                period_start=start,
            ).exists()
        ]
        if missing and not can(
            actor,
            Action.UPDATE,
            _store_resource(organisation),
            Purpose.SERVICE_ADMINISTRATION,
            consent_ok=True,
        ):
            raise PermissionDenied("Only the scheduler may release periods ahead of viewers.")
        for family, grain, start in missing:
            releaser = Releaser(organisation, today=today)
            with transaction.atomic():
                releaser._lock_ledger()
                if not releaser.settings.dp_enabled:
                    break
                if family == ENROLMENT:
                    releaser._freeze_enrolment(start)
                period_release(releaser, family, grain, start)
            released += 1
    return PeriodsReleased(organisations=organisations, released=released)


@dataclass(frozen=True)
class ViewsReleased:
    organisations: int
    views: int
    figures: int
    skipped: int
    dry_run: bool = False

    def summary(self) -> str:
        if self.dry_run:
            return (
                f"Standard views: {self.views} views with {self.figures} figures to release in "
                f"{self.organisations} organisations ({self.skipped} in differential-privacy "
                "mode left to release-periods); nothing released (dry run)."
            )
        return (
            f"Standard views: {self.figures} figures of {self.views} views released ahead of "
            f"viewers in {self.organisations} organisations ({self.skipped} in "
            "differential-privacy mode left to release-periods)."
        )


def _standard_views_resource(organisation: Organisation, query: Query | None = None) -> Resource:
    reference = f"aggregate:{organisation.pk}/standard-views"
    return Resource(
        kind=ResourceKind.AGGREGATE,
        reference=f"{reference}/{query.reference}" if query is not None else reference,
        organisation_id=organisation.pk,
    )


def insights_release_standard_views(
    *,
    actor: Actor = RELEASE_JOB,
    today: dt.date | None = None,
    units: bool = True,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
) -> ViewsReleased:
    """Release each closed period's standard views ahead of viewers, where DP is off.

    Each view (``selectors.standard_views``: every scheduled questionnaire
    and grain, organisation-wide and, with ``units``, per top-level unit)
    is planned and released exactly as ``dashboard_release`` does for a
    viewer, so the ledger rows and the figures shown or hidden are those
    the first viewer would have caused; a viewer then meets a repeat view,
    which reads only the ledger. Releasing them first, always in the same
    order, makes complementary suppression independent of who asks first,
    and releases nothing a leader could not have asked for.

    The actor (the scheduler's job unless a caller names another) must be
    allowed to update the organisation's aggregates; a refusal is audited
    and raises PermissionDenied before any cell is read. Each view is
    released in its own transaction with its audit entry (``record.update``
    on ``aggregate:<organisation>/standard-views/<query>``), as a viewer's
    page is: both are kept, or neither. One transaction per view, not per
    organisation, because on SQLite a transaction holds the database's
    write lock, and the demo's first run takes minutes: check-ins must not
    wait that long.

    Idempotent: a view whose groups are all released is skipped after a
    read of the ledger, and audits nothing. Organisations in
    differential-privacy mode are left to ``insights_release_periods``,
    which noises each period once. ``progress`` hears one step per view.
    """
    today = today or clock.now().astimezone(dt.UTC).date()
    organisations = views = figures = skipped = 0
    dp = set(
        InsightsSettings.objects.filter(dp_enabled=True).values_list("organisation_id", flat=True)
    )
    for organisation in Organisation.objects.order_by("slug"):
        if organisation.pk in dp:
            skipped += 1
            continue
        resource = _standard_views_resource(organisation)
        purpose = Purpose.SERVICE_ADMINISTRATION
        if not decide(
            actor=actor, action=Action.UPDATE, resource=resource, purpose=purpose, consent_ok=True
        ).allowed:
            # Refused before any cell is read; the refusal is audited (and kept).
            can(actor, Action.UPDATE, resource, purpose, consent_ok=True)
            raise PermissionDenied("Only the scheduler may release dashboards ahead of viewers.")
        # Planned before the transaction, as a viewer's page is: outside one
        # the vault keeps the aggregate key it unwraps for the next cell.
        planned = standard_views(organisation, today=today, units=units)
        due = [v for v in planned if v.unreleased]
        if progress is not None:
            # Repeat views are done once planned; the others as they are released.
            progress(len(planned) - len(due) if not dry_run else len(planned))
        if not due:
            continue
        organisations += 1
        views += len(due)
        if dry_run:
            figures += len({g.key for v in due for g in v.unreleased})
            continue
        before = Release.objects.filter(organisation=organisation).count()
        for view in due:
            allowed = False
            with transaction.atomic():
                view_resource = _standard_views_resource(organisation, view.query)
                if can(actor, Action.UPDATE, view_resource, purpose, consent_ok=True):
                    allowed = True
                    for batch in view.plan.batches:
                        view.plan.releaser.release(batch)
            if not allowed:
                # Allowed a moment ago, refused now (the refusal is kept): stop here.
                raise PermissionDenied(
                    "Only the scheduler may release dashboards ahead of viewers."
                )
            if progress is not None:
                progress(1)
        figures += Release.objects.filter(organisation=organisation).count() - before
    return ViewsReleased(
        organisations=organisations,
        views=views,
        figures=figures,
        skipped=skipped,
        dry_run=dry_run,
    )
