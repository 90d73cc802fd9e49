"""How long a case may wait for someone to take it, and telling the wellbeing officers when it has.

A safety alert that nobody has taken for days is the most urgent row of the
queue, not one more "New" among the rest. Each organisation sets (privacy
officer, ``deadlines_set``) how many days a safety alert and a request for
contact may wait; the queue marks the cases past it and puts them first,
and a daily job (``overdue_tell``, run by ``wellkept scheduler`` or
``wellkept followup overdue``) e-mails every wellbeing officer of the
organisation, at most once a day, that cases wait. The e-mail says only
that: no code number, no count, no kind of case (a mailbox may be read by
others). The audit entry keeps the counts.

Days, not hours: a case is dated by the day on purpose (an exact time
could be matched against sign-in times and name the person), so "waited"
is counted in whole days from the day it opened.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.models import User, readable_email
from wellkept.actors import Actor, SystemActor, person
from wellkept.assessments.models import today
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.followup import notify
from wellkept.followup.models import (
    ALERT_WAIT_DAYS,
    REQUEST_WAIT_DAYS,
    Case,
    CaseStatus,
    FollowUpSettings,
    Trigger,
)
from wellkept.followup.notify import absolute
from wellkept.orgs.models import Organisation, Role

OVERSIGHT = Purpose.AUDIT_OVERSIGHT
JOB_PURPOSE = Purpose.SERVICE_ADMINISTRATION
# When the daily job runs under `wellkept scheduler` (UTC): early enough to
# be read at the start of the day shift.
OVERDUE_HOUR_UTC = 6

OVERDUE_SUBJECT = "Follow-up cases are waiting for someone to take them"
OVERDUE_BODY = """\
Hello,

Follow-up cases at {organisation} have waited longer than your
organisation's deadline without anyone taking them. Open the queue; they
are marked and listed first:

{url}

This e-mail says nothing more on purpose.
"""


@dataclass(frozen=True)
class Deadlines:
    alert_days: int
    request_days: int

    def days_for(self, trigger: str) -> int:
        return self.alert_days if trigger == Trigger.SAFETY_ALERT else self.request_days


DEFAULTS = Deadlines(ALERT_WAIT_DAYS[2], REQUEST_WAIT_DAYS[2])


def deadlines_for(organisation: Organisation | Any) -> Deadlines:
    """Return the organisation's deadlines, the defaults where none were set."""
    row = FollowUpSettings.objects.filter(organisation_id=organisation.pk).first()
    if row is None:
        return DEFAULTS
    return Deadlines(row.alert_wait_days, row.request_wait_days)


def waited_days(case: Case, on: dt.date | None = None) -> int:
    """Whole days since the case opened (0 on its first day)."""
    return max(0, ((on or today()) - case.opened_on).days)


def is_overdue(case: Case, deadlines: Deadlines, on: dt.date | None = None) -> bool:
    """True for a case nobody has taken within its deadline."""
    return case.status == CaseStatus.NEW and waited_days(case, on) >= deadlines.days_for(
        case.trigger
    )


def settings_resource(organisation: Organisation) -> Resource:
    # Set by the privacy officer among the organisation's other oversight
    # settings (as disclosure control's are).
    return Resource(
        kind=ResourceKind.CONSENT_CONFIG,
        reference=f"setting:followup-deadlines/{organisation.slug}",
        organisation_id=organisation.pk,
    )


def _days(value: Any, bounds: tuple[int, int, int], what: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if not bounds[0] <= days <= bounds[1]:
        raise ValidationError(
            f"{what}: choose between {bounds[0]} and {bounds[1]} days (you gave {value}).",
            code="days",
        )
    return days


def deadlines_set(
    *,
    actor: Actor,
    organisation: Organisation,
    alert_wait_days: int,
    request_wait_days: int,
    request: HttpRequest | None = None,
) -> FollowUpSettings:
    """Set how many days safety alerts and requests may wait to be taken; audited."""
    alert = _days(alert_wait_days, ALERT_WAIT_DAYS, "Safety alerts")
    asked = _days(request_wait_days, REQUEST_WAIT_DAYS, "Requests for contact")
    # The command (an operator on the server) sets them as an administration task.
    purpose = JOB_PURPOSE if isinstance(actor, SystemActor) else OVERSIGHT
    if not can(actor, Action.UPDATE, settings_resource(organisation), purpose, request=request):
        raise PermissionDenied("Only the organisation's privacy officer sets these deadlines.")
    with transaction.atomic():
        row, _ = lock_rows(FollowUpSettings.objects.all()).get_or_create(organisation=organisation)
        before = (row.alert_wait_days, row.request_wait_days)
        row.alert_wait_days, row.request_wait_days = alert, asked
        row.changed_at = clock.now()
        # A command changes it as the system: no login to name.
        row.changed_by = None if isinstance(actor, SystemActor) else person(actor)
        row.save(update_fields=["alert_wait_days", "request_wait_days", "changed_at", "changed_by"])
        audit_record(
            actor=actor,
            event=EventType.CONFIG_CHANGED,
            target=f"setting:followup-deadlines/{organisation.slug}",
            purpose=purpose.value,
            reason=(
                f"safety alerts {before[0]} -> {alert} days; requests {before[1]} -> {asked} days"
            ),
            request=request,
        )
    return row


@dataclass
class OverdueReport:
    organisations: int = 0
    told: int = 0
    alerts: int = 0
    requests: int = 0
    skipped_today: int = 0
    dry_run: bool = False
    details: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would tell" if self.dry_run else "told"
        return (
            f"follow-up deadlines: {self.alerts} safety alert(s) and {self.requests} request(s) "
            f"waiting past their deadline in {self.organisations} organisation(s); {verb} the "
            f"wellbeing officers of {self.told}"
            + (f" ({self.skipped_today} told earlier today)" if self.skipped_today else "")
            + "."
        )


def _overdue_cases(actor: SystemActor, organisation: Organisation, on: dt.date) -> list[Case]:
    from wellkept.followup.selectors import consenting_ids

    deadlines = deadlines_for(organisation)
    waiting = visible(
        actor,
        Action.READ,
        Case.objects.filter(organisation=organisation, status=CaseStatus.NEW),
        JOB_PURPOSE,
    ).only("pk", "participant_id", "trigger", "status", "opened_on")
    cases = [c for c in waiting if is_overdue(c, deadlines, on)]
    # What the queue shows: a person who left the programme is off it.
    taking_part = consenting_ids([c.participant_id for c in cases])
    return [c for c in cases if c.participant_id in taking_part]


def _officer_addresses(organisation_id: Any) -> list[str]:

    officers = User.objects.filter(
        Q(memberships__organisation_id=organisation_id)
        & Q(memberships__role=Role.WELLBEING_OFFICER),
        is_active=True,
    ).distinct()
    return [a for a in (readable_email(u) for u in officers) if a]


def _send_after_commit(organisation: Organisation) -> None:
    organisation_id, name, slug = organisation.pk, organisation.name, organisation.slug

    def send() -> None:
        url = absolute(reverse("followup:queue")) + "?" + urlencode({"org": slug})
        body = OVERDUE_BODY.format(organisation=name, url=url)
        # The queue marks the cases anyway; the next run tries again tomorrow.
        notify.email_send(OVERDUE_SUBJECT, body, _officer_addresses(organisation_id))

    transaction.on_commit(send)


def overdue_tell(
    *, actor: SystemActor, dry_run: bool = False, organisation: Organisation | None = None
) -> OverdueReport:
    """Tell wellbeing officers, once a day per organisation, that cases wait past the deadline."""
    report = OverdueReport(dry_run=dry_run)
    on = today()
    organisations = (
        [organisation] if organisation is not None else list(Organisation.objects.order_by("slug"))
    )
    for org in organisations:
        cases = _overdue_cases(actor, org, on)
        if not cases:
            continue
        alerts = sum(1 for c in cases if c.trigger == Trigger.SAFETY_ALERT)
        report.organisations += 1
        report.alerts += alerts
        report.requests += len(cases) - alerts
        if dry_run:
            report.told += 1
            continue
        with transaction.atomic():
            row, _ = lock_rows(FollowUpSettings.objects.all()).get_or_create(organisation=org)
            if row.overdue_told_on == on:
                # Another host's run, or a manual run, told them already today.
                report.skipped_today += 1
                continue
            row.overdue_told_on = on
            row.save(update_fields=["overdue_told_on"])
            audit_record(
                actor=actor,
                event=EventType.FOLLOWUP_OVERDUE_TOLD,
                target=f"organisation:{org.pk}/follow-up-queue",
                purpose=JOB_PURPOSE.value,
                reason=f"{alerts} safety alert(s), {len(cases) - alerts} request(s) not taken "
                "within the deadline; wellbeing officers e-mailed",
            )
            _send_after_commit(org)
            report.told += 1
    return report
