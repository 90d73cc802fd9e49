"""Retention: delete what has outlived its period, through the same paths as erasure.

Per organisation and category (see ``lifecycle.models.BOUNDS``):

- Check-in answers and scores live in one encrypted payload per response,
  so the shorter of the two periods applies to both. Expired check-ins go
  with their responses and safety alerts; the responses leave the
  aggregates in the same transaction (``insights.store.responses_purge``).
- Case notes and messages: those of cases closed longer ago than the
  period. An open case is ongoing care and is never cut.
- Consent records: a participant who left (latest decision "not taking
  part") longer ago than the period is erased entirely through
  ``participant_erase``, with a tombstone and a signed receipt.
- Client records (the practice): a discharged client whose last contact
  (the later of the discharge and the last attended appointment) is older
  than the period is erased through the practice's ``client_erase``, which
  shreds the client's key and every psychotherapy-note key. A minor's record
  is kept until the later of that and their 18th birthday plus the period;
  the date of birth is read, in memory only, by a practice selector. A
  client in care never expires.
- Audit trail: counted, never deleted. The trail is append-only (database
  triggers) and hash-chained; archival is an operator's step, see
  docs/retention-and-erasure.md.

A legal hold in force on a person keeps all their data; on a case, that
case's notes and messages and the check-in whose answer opened it; on a
client, their whole record. What a
hold kept is counted in the summary.

Each batch is one transaction with its own ``retention.purged`` entry
(counts only), so a run stopped part-way leaves consistent data and a
trail of what went; running again picks up where it stopped. A dry run
counts the same things and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import SystemActor
from wellkept.assessments.models import CheckIn, Response, SafetyAlert, today
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.consent.models import ConsentRecord
from wellkept.followup.models import Case, CaseMessage, CaseNote, CaseStatus
from wellkept.insights.store import responses_purge
from wellkept.lifecycle.models import DataCategory, ErasureRule
from wellkept.lifecycle.selectors import (
    held_case_ids,
    held_client_ids,
    held_participant_ids,
    months_before,
    retention_periods,
)
from wellkept.lifecycle.services import ErasureHeld, participant_erase
from wellkept.orgs.models import Organisation, Participant
from wellkept.practice.holds import ClientHeld
from wellkept.practice.selectors import DischargedClient, discharged_for_retention
from wellkept.practice.services import client_erase

RETENTION_ACTOR = SystemActor("retention")
PURPOSE = Purpose.SERVICE_ADMINISTRATION
# Participants per transaction: big enough to be quick, small enough that a
# run on a million check-ins holds no lock for long.
BATCH = 100

T = TypeVar("T")
Progress = Callable[[Iterable[Any], str, int], Iterable[Any]]


def no_progress(items: Iterable[T], _label: str, _total: int) -> Iterable[T]:
    return items


@dataclass
class OrganisationReport:
    slug: str
    deleted: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    receipts: list[str] = field(default_factory=list)


@dataclass
class RetentionReport:
    dry_run: bool
    organisations: list[OrganisationReport] = field(default_factory=list)
    audit_past_retention: int = 0
    audit_cutoff: dt.date | None = None

    def totals(self) -> tuple[Counter[str], Counter[str]]:
        deleted: Counter[str] = Counter()
        held: Counter[str] = Counter()
        for report in self.organisations:
            deleted.update(report.deleted)
            held.update(report.held)
        return deleted, held

    @property
    def changed(self) -> bool:
        return not self.dry_run and sum(self.totals()[0].values()) > 0

    def summary(self) -> str:
        deleted, held = self.totals()
        verb = "would delete" if self.dry_run else "deleted"
        gone = ", ".join(f"{n} {kind}" for kind, n in sorted(deleted.items()) if n) or "nothing"
        kept = ", ".join(f"{n} {kind}" for kind, n in sorted(held.items()) if n) or "nothing"
        cutoff = f" (older than {self.audit_cutoff})" if self.audit_cutoff else ""
        return (
            f"retention{' (dry run)' if self.dry_run else ''}: {verb} {gone}; "
            f"kept under legal hold: {kept}; "
            f"audit entries past retention{cutoff}: {self.audit_past_retention} "
            "(archived by the operator, never deleted here)"
        )


def _batches(ids: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _allowed(organisation: Organisation, category: DataCategory, dry_run: bool) -> bool:
    """Ask the policy once per organisation and category (audited as any job's access)."""
    resource = Resource(
        kind=ResourceKind.PARTICIPANT_RECORD,
        reference=f"retention:{organisation.slug}/{category.value}",
        organisation_id=organisation.pk,
    )
    action = Action.READ if dry_run else Action.DELETE
    return can(RETENTION_ACTOR, action, resource, PURPOSE, consent_ok=True)


def _purged(organisation: Organisation, category: DataCategory, counts: dict[str, int]) -> None:
    audit_record(
        actor=RETENTION_ACTOR,
        event=EventType.RETENTION_PURGED,
        target=f"retention:{organisation.slug}/{category.value}",
        purpose=PURPOSE.value,
        reason=", ".join(f"{kind} {n}" for kind, n in counts.items()),
    )


# --- check-ins, answers and scores ----------------------------------------------


def expired_checkins(organisation: Organisation, cutoff: dt.date) -> QuerySet[CheckIn]:
    """Check-ins submitted (or, unfinished, started) before ``cutoff``."""
    return CheckIn.objects.filter(participant__organisation=organisation).filter(
        Q(submitted_on__lt=cutoff) | Q(submitted_on__isnull=True, started_on__lt=cutoff)
    )


def _checkins(
    organisation: Organisation,
    cutoff: dt.date,
    report: OrganisationReport,
    *,
    dry_run: bool,
    progress: Progress,
) -> None:
    expired = expired_checkins(organisation, cutoff)
    # A hold on a person keeps all their check-ins; a hold on a case keeps
    # the check-in whose answer opened it (the case's first record).
    held_cases = Case.objects.filter(pk__in=held_case_ids(organisation))
    opened_cases = Response.objects.filter(
        pk__in=held_cases.filter(response__isnull=False).values("response_id")
    ).values("checkin_id")
    kept = Q(participant_id__in=held_participant_ids(organisation)) | Q(pk__in=opened_cases)
    report.held["check-ins"] += expired.filter(kept).count()
    doomed = expired.exclude(kept)
    if dry_run:
        # The same three counts the run makes, so a dry run predicts it.
        ids = doomed.values_list("pk", flat=True)
        responses = Response.objects.filter(checkin_id__in=ids)
        report.deleted["check-ins"] += ids.count()
        report.deleted["responses"] += responses.count()
        report.deleted["safety alerts"] += SafetyAlert.objects.filter(
            response__in=responses
        ).count()
        return
    people = sorted(set(doomed.values_list("participant_id", flat=True)), key=str)
    batches = list(_batches(people))
    for batch in progress(batches, f"{organisation.slug}: check-ins", len(batches)):
        with transaction.atomic():
            checkins = list(doomed.filter(participant_id__in=batch).values_list("pk", flat=True))
            responses = Response.objects.filter(checkin_id__in=checkins)
            alerts = SafetyAlert.objects.filter(response__in=responses).delete()[0]
            # Out of the aggregates and deleted, in this transaction.
            gone = responses_purge(responses)
            checkins_gone = (
                CheckIn.objects.filter(pk__in=checkins).delete()[1].get(CheckIn._meta.label, 0)
            )
            counts = {"check-ins": checkins_gone, "responses": gone, "safety alerts": alerts}
            _purged(organisation, DataCategory.CHECKIN_ANSWERS, counts)
        report.deleted.update(counts)


# --- case notes and messages --------------------------------------------------------


def _closed_before(organisation: Organisation, cutoff: dt.date) -> QuerySet[Case]:
    return Case.objects.filter(
        organisation=organisation, status=CaseStatus.CLOSED, closed_on__lt=cutoff
    )


def _case_content(
    organisation: Organisation,
    category: DataCategory,
    cutoff: dt.date,
    report: OrganisationReport,
    *,
    dry_run: bool,
) -> None:
    model: Any = CaseNote if category == DataCategory.CASE_NOTES else CaseMessage
    kind = "case notes" if category == DataCategory.CASE_NOTES else "messages"
    cases = _closed_before(organisation, cutoff)
    held = held_case_ids(organisation)
    rows = model.objects.filter(case__in=cases)
    report.held[kind] += rows.filter(case_id__in=held).count()
    doomed = rows.exclude(case_id__in=held)
    if dry_run:
        report.deleted[kind] += doomed.count()
        return
    with transaction.atomic():
        # The ciphertexts are under the participant's key, which lives on;
        # deleting the rows is what ends them here.
        gone = model.objects.filter(pk__in=list(doomed.values_list("pk", flat=True))).delete()[0]
        if gone:
            _purged(organisation, category, {kind: gone})
    report.deleted[kind] += gone


# --- consent records: people who left long ago ---------------------------------------


def left_before(organisation: Organisation, cutoff: dt.date) -> QuerySet[Participant]:
    """Participants whose latest consent decision is "not taking part", made before ``cutoff``."""
    latest = ConsentRecord.objects.filter(participant=OuterRef("pk")).order_by("-sequence")
    start = dt.datetime.combine(cutoff, dt.time.min, tzinfo=dt.UTC)
    return (
        Participant.objects.filter(organisation=organisation)
        .annotate(
            last_take_part=Subquery(latest.values("take_part")[:1]),
            last_decided=Subquery(latest.values("recorded_at")[:1]),
        )
        .filter(last_take_part=False, last_decided__lt=start)
    )


def _leavers(
    organisation: Organisation,
    cutoff: dt.date,
    report: OrganisationReport,
    *,
    dry_run: bool,
    progress: Progress,
) -> None:
    leavers = left_before(organisation, cutoff)
    held_people = held_participant_ids(organisation)
    report.held["participants erased"] += leavers.filter(pk__in=held_people).count()
    doomed = list(leavers.exclude(pk__in=held_people))
    if dry_run:
        report.deleted["participants erased"] += len(doomed)
        return
    for participant in progress(doomed, f"{organisation.slug}: leavers", len(doomed)):
        try:
            erasure = participant_erase(
                actor=RETENTION_ACTOR, participant=participant, rule=ErasureRule.RETENTION
            )
        except ErasureHeld:
            # A hold set between the listing and now: kept, and counted so.
            report.held["participants erased"] += 1
            continue
        report.deleted["participants erased"] += 1
        report.receipts.append(erasure.receipt_id)


# --- client records of the practice -----------------------------------------------


def client_expired(found: DischargedClient, cutoff: dt.date) -> bool:
    """True when the client's last contact, and their 18th birthday if later, are before ``cutoff``.

    ``cutoff`` is the run's day less the period, so "kept until the later of
    (last contact + period) and (18th birthday + period)" is "both before
    the cutoff".
    """
    if found.last_contact >= cutoff:
        return False
    return found.comes_of_age is None or found.comes_of_age < cutoff


def _clients(
    organisation: Organisation,
    cutoff: dt.date,
    report: OrganisationReport,
    *,
    dry_run: bool,
    progress: Progress,
) -> None:
    expired = [
        found.client
        for found in discharged_for_retention(actor=RETENTION_ACTOR, organisation=organisation)
        if client_expired(found, cutoff)
    ]
    held = held_client_ids(organisation)
    report.held["clients erased"] += sum(1 for c in expired if c.pk in held)
    doomed = [c for c in expired if c.pk not in held]
    if dry_run:
        report.deleted["clients erased"] += len(doomed)
        return
    for client in progress(doomed, f"{organisation.slug}: clients", len(doomed)):
        try:
            # Its own transaction and audit entries (key shredded, client
            # erased); a run stopped part-way leaves whole clients.
            client_erase(actor=RETENTION_ACTOR, client=client)
        except ClientHeld:
            # A hold set between the listing and now: kept, and counted so.
            report.held["clients erased"] += 1
            continue
        report.deleted["clients erased"] += 1


# --- the run ----------------------------------------------------------------------------


def retention_run(
    *,
    dry_run: bool = False,
    organisation: Organisation | None = None,
    on: dt.date | None = None,
    progress: Progress = no_progress,
) -> RetentionReport:
    """Delete (or, dry, count) everything past its retention period; return what happened."""
    day = on or today()
    report = RetentionReport(dry_run=dry_run)
    organisations = (
        [organisation] if organisation is not None else list(Organisation.objects.order_by("slug"))
    )
    longest_audit = 0
    for org in organisations:
        periods = retention_periods(org)
        longest_audit = max(longest_audit, periods[DataCategory.AUDIT_TRAIL])
        found = OrganisationReport(slug=org.slug)
        checkin_months = min(periods[DataCategory.CHECKIN_ANSWERS], periods[DataCategory.SCORES])
        if _allowed(org, DataCategory.CHECKIN_ANSWERS, dry_run):
            _checkins(
                org, months_before(day, checkin_months), found, dry_run=dry_run, progress=progress
            )
        for category in (DataCategory.CASE_NOTES, DataCategory.MESSAGES):
            if _allowed(org, category, dry_run):
                _case_content(
                    org, category, months_before(day, periods[category]), found, dry_run=dry_run
                )
        if _allowed(org, DataCategory.CONSENT_RECORDS, dry_run):
            _leavers(
                org,
                months_before(day, periods[DataCategory.CONSENT_RECORDS]),
                found,
                dry_run=dry_run,
                progress=progress,
            )
        if _allowed(org, DataCategory.CLIENT_RECORDS, dry_run):
            _clients(
                org,
                months_before(day, periods[DataCategory.CLIENT_RECORDS]),
                found,
                dry_run=dry_run,
                progress=progress,
            )
        report.organisations.append(found)
    if longest_audit:
        # The trail is one chain for the installation: an entry is past
        # retention only when it is past the longest period any
        # organisation set.
        report.audit_cutoff = months_before(day, longest_audit)
        start = dt.datetime.combine(report.audit_cutoff, dt.time.min, tzinfo=dt.UTC)
        report.audit_past_retention = AuditEntry.objects.filter(created_at__lt=start).count()
    for found in report.organisations:
        # Recorded for dry runs too: a dry run reads every record's dates.
        deleted = ", ".join(f"{k} {n}" for k, n in sorted(found.deleted.items()) if n) or "none"
        held = ", ".join(f"{k} {n}" for k, n in sorted(found.held.items()) if n) or "none"
        audit_record(
            actor=RETENTION_ACTOR,
            event=EventType.RETENTION_RUN,
            target=f"retention:{found.slug}",
            purpose=PURPOSE.value,
            reason=(
                f"{'dry run; would delete' if dry_run else 'deleted'}: {deleted}; held: {held}; "
                f"audit entries past retention: {report.audit_past_retention}"
            ),
        )
    return report
