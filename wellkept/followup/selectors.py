"""Reads for follow-up: the queue, one case, the participant's conversation, grants, reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, decide, roles_in, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.models import User
from wellkept.actors import Actor
from wellkept.assessments.instruments import get_instrument
from wellkept.assessments.models import Response, today
from wellkept.assessments.selectors import decode_payload
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.consent.models import ConsentRecord
from wellkept.consent.selectors import consent_state, latest_consent
from wellkept.followup.models import (
    Case,
    CaseMessage,
    CaseStatus,
    GrantKind,
    GrantStatus,
    IdentityGrant,
    MessageKind,
    Sender,
    Trigger,
)
from wellkept.followup.scopes import case_record_resource
from wellkept.orgs.models import Organisation, Participant, Role, StaffMembership
from wellkept.orgs.scopes import own_through_participant
from wellkept.vault.services import is_erased

TEAM_PURPOSE = Purpose.BURNOUT_FOLLOW_UP
TOKEN_SHOWN = 8


def followup_consent(participant: Participant | Any) -> bool:
    """True while the participant takes part: follow-up lives and ends with participation.

    Looser than "may collect": a participant asked to agree to a new notice
    version before their next check-in has not withdrawn, and a risk signal
    they sent must not vanish from the queue meanwhile. Withdrawing hides
    their case from the team at once.
    """
    record = latest_consent(participant)
    return record is not None and record.take_part


def plain(value: Any) -> str:
    return "" if value is None or is_erased(value) else str(value)


# ---- The queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class TriggerResult:
    instrument: str
    day: Any
    total: Any
    band_label: str
    safety: bool


def trigger_result(response: Response | None) -> TriggerResult | None:
    """Describe the result that opened the case (decrypted; caller holds the case decision)."""
    if response is None:
        return None
    payload = decode_payload(response)
    if payload is None:
        return None
    instrument = get_instrument(response.instrument, response.instrument_version)
    return TriggerResult(
        instrument=instrument.short_title,
        day=response.submitted_on,
        total=payload.get("total"),
        band_label=payload.get("band_label") or "",
        safety=bool(payload.get("safety")),
    )


@dataclass(frozen=True)
class QueueRow:
    case: Case
    token: str
    trigger: TriggerResult | None
    consent: Any
    waiting: int
    # Whole days since the case opened, and whether nobody took it in time.
    days: int = 0
    overdue: bool = False


def consenting_ids(participant_ids: list[Any]) -> set[Any]:
    """The participants among ``participant_ids`` whose latest decision is to take part."""
    latest: dict[Any, bool] = {}

    rows = ConsentRecord.objects.filter(participant_id__in=participant_ids).order_by(
        "participant_id", "-sequence"
    )
    for record in rows.values("participant_id", "take_part"):
        latest.setdefault(record["participant_id"], record["take_part"])
    return {pk for pk, taking_part in latest.items() if taking_part}


def team_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations where the user is on the follow-up team."""

    ids = StaffMembership.objects.filter(
        user_id=user.pk, role__in=[Role.WELLBEING_OFFICER, Role.SPECIALIST]
    ).values_list("organisation_id", flat=True)
    return Organisation.objects.filter(pk__in=list(ids)).order_by("name")


def queue(
    *,
    actor: Actor,
    organisation: Organisation,
    show: str = "active",
    request: HttpRequest | None = None,
) -> list[QueueRow]:
    """Return the organisation's cases the actor may see, safety first; one audit event."""
    rows = visible(
        actor,
        Action.READ,
        Case.objects.filter(organisation=organisation),
        TEAM_PURPOSE,
        request=request,
    ).select_related("participant", "assignee", "response")
    # A team member who also takes part never works (or lists) their own case.
    rows = rows.exclude(own_through_participant(actor, [organisation.pk]))
    if show == "closed":
        rows = rows.filter(status=CaseStatus.CLOSED)
    elif show == "mine":
        rows = rows.filter(assignee_id=actor.pk).exclude(status=CaseStatus.CLOSED)
    else:
        rows = rows.exclude(status=CaseStatus.CLOSED)
    cases = list(rows)
    consenting = consenting_ids([c.participant_id for c in cases])
    cases = [c for c in cases if c.participant_id in consenting]
    from wellkept.followup.deadlines import deadlines_for, is_overdue, waited_days

    deadlines = deadlines_for(organisation)
    on = today()
    overdue = {c.pk for c in cases if is_overdue(c, deadlines, on)}
    cases.sort(key=lambda c: _urgency(c, c.pk in overdue))
    unread = dict.fromkeys((c.pk for c in cases), 0)
    for case_id in CaseMessage.objects.filter(
        case_id__in=list(unread), sender=Sender.PARTICIPANT, read_on__isnull=True
    ).values_list("case_id", flat=True):
        unread[case_id] += 1
    return [
        QueueRow(
            case=c,
            token=c.participant.token[:TOKEN_SHOWN],
            trigger=trigger_result(c.response),
            consent=latest_consent(c.participant),
            waiting=unread[c.pk],
            days=waited_days(c, on),
            overdue=c.pk in overdue,
        )
        for c in cases
    ]


def _urgency(case: Case, overdue: bool) -> tuple[Any, ...]:
    """Sort key: most urgent first.

    Open before closed; safety alerts before requests; within each, cases
    nobody has taken before taken ones, and past their deadline first.
    Untaken cases that waited longest come first (the oldest alert is the
    one most at risk of being missed); taken ones by their latest signal.
    """
    untaken = case.status == CaseStatus.NEW
    return (
        case.status == CaseStatus.CLOSED,
        case.trigger != Trigger.SAFETY_ALERT,
        not untaken,
        not overdue,
        case.opened_on.toordinal() if untaken else -case.last_signal_on.toordinal(),
    )


# ---- One case ------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageView:
    message: CaseMessage
    text: str
    details: dict[str, str]


def _message_view(message: CaseMessage) -> MessageView:
    body = plain(message.body)
    details: dict[str, str] = {}
    if message.kind in (MessageKind.IDENTITY_SHARED, MessageKind.CONVERSATION) and body:
        try:
            loaded = json.loads(body)
        except ValueError:
            loaded = {}
        details = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        body = ""
    return MessageView(message=message, text=body, details=details)


def conversation(case: Case) -> list[MessageView]:
    """Return the case's messages in order, decrypted (the caller holds the decision)."""
    return [_message_view(m) for m in case.messages.select_related("author").order_by("sequence")]


def notes(case: Case) -> list[tuple[Any, str]]:
    """Return the case's notes, oldest first, decrypted (the caller holds the decision)."""
    return [(n, plain(n.body)) for n in case.notes.select_related("author").order_by("written_at")]


def score_history(
    *, actor: Actor, case: Case, request: HttpRequest | None = None
) -> list[dict[str, Any]] | None:
    """Return the participant's score history for the case's assignee; None for anyone else.

    Whoever is not the assignee sees the triggering result only: the policy
    is asked without writing first, so a colleague glancing at the queue
    leaves no refused entry, and the read is audited when it happens.
    """
    resource = case_record_resource(case, f"case:{case.pk}/history")
    if not decide(actor=actor, action=Action.READ, resource=resource, purpose=TEAM_PURPOSE).allowed:
        return None
    if not can(actor, Action.READ, resource, TEAM_PURPOSE, request=request):
        return None
    history = []
    responses = Response.objects.filter(participant_id=case.participant_id).order_by(
        "-submitted_on", "instrument"
    )
    for response in responses[:60]:
        payload = decode_payload(response)
        if payload is None:
            continue
        instrument = get_instrument(response.instrument, response.instrument_version)
        history.append(
            {
                "day": response.submitted_on,
                "instrument": instrument.short_title,
                "total": payload.get("total"),
                "maximum": instrument.maximum,
                "band_label": payload.get("band_label") or "",
                "safety": bool(payload.get("safety")),
            }
        )
    return history


def case_grants(*, actor: Actor, case: Case) -> list[IdentityGrant]:
    """The actor's own identity requests for this case's participant."""
    return list(
        IdentityGrant.objects.filter(
            participant_id=case.participant_id, requested_by_id=actor.pk
        ).order_by("-requested_at")
    )


# ---- The participant's side ----------------------------------------------------------


def own_case(*, actor: Actor, participant: Participant) -> Case | None:
    """Return the participant's open case, else their latest closed one; audited under the token."""
    rows = visible(
        actor,
        Action.READ,
        Case.objects.filter(participant=participant),
        Purpose.SELF_SERVICE,
    )
    return rows.order_by("status", "-opened_on").first() if rows.exists() else None


@dataclass(frozen=True)
class Lookup:
    """One time somebody looked up who the participant is, as told to them."""

    kind: str
    who: str
    role: str
    when: Any
    purpose: str
    reason: str


def staff_name(user: Any) -> str:
    if user is None:
        return "A former member of staff"
    name = plain(user.display_name)
    return name or "A member of the follow-up team (no name on their account)"


def lookups_told(
    *, actor: Actor, participant: Participant, request: HttpRequest | None = None
) -> list[Lookup]:
    """Return every look-up of the participant's identity they were told about."""
    resource = Resource(
        kind=ResourceKind.IDENTITY_GRANT,
        reference=f"participant:{participant.token}/lookups",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )
    if not can(actor, Action.READ, resource, Purpose.SELF_SERVICE, request=request):
        return []
    grants = (
        IdentityGrant.objects.filter(participant=participant, participant_told_on__isnull=False)
        .select_related("requested_by")
        .order_by("-first_used_at")
    )

    looked = []
    for g in grants:
        roles = roles_in(g.requested_by, g.organisation_id) if g.requested_by else frozenset()
        role = ", ".join(sorted(str(r.label) for r in roles)) or "follow-up team"
        looked.append(
            Lookup(
                kind=g.get_kind_display(),
                who=staff_name(g.requested_by),
                role=role,
                when=g.first_used_at,
                purpose=_purpose_label(g.purpose),
                reason=plain(g.reason),
            )
        )
    return looked


def lookups_not_told(participant: Participant) -> list[str]:
    """Return the audit-target prefixes of look-ups the participant has not been told of.

    Every entry of one request (asked, decided, name read, even a refused
    reading) has a target starting with ``participant:<token>/grant:<id>``.
    The participant's own access log must leave these out until they are
    told, and for good under a privacy officer's exception: otherwise the
    log would announce a look-up that, by that recorded decision, telling
    them would put someone at risk.
    """
    ids = IdentityGrant.objects.filter(
        participant=participant, participant_told_on__isnull=True
    ).values_list("pk", flat=True)
    return [f"participant:{participant.token}/grant:{pk}" for pk in ids]


def _purpose_label(value: str) -> str:
    try:
        return str(Purpose(value).label)
    except ValueError:
        return value


def waiting_for_participant(participant: Participant) -> int:
    """How many team messages the participant has not opened yet."""
    return CaseMessage.objects.filter(
        case__participant=participant, sender=Sender.TEAM, read_on__isnull=True
    ).count()


def participant_state(participant: Participant) -> Any:
    return consent_state(participant)


# ---- The privacy officer's side -------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    grant: IdentityGrant
    token: str
    state: str
    requester: str
    reason: str
    decider: str
    reviewer: str


def grant_row(grant: IdentityGrant) -> GrantRow:
    return GrantRow(
        grant=grant,
        token=grant.participant.token[:TOKEN_SHOWN],
        state=grant.state(),
        requester=staff_name(grant.requested_by),
        reason=plain(grant.reason),
        decider=staff_name(grant.decided_by) if grant.decided_by_id else "",
        reviewer=staff_name(grant.reviewed_by) if grant.reviewed_by_id else "",
    )


@dataclass(frozen=True)
class PrivacyQueue:
    pending: list[GrantRow]
    break_glass: list[GrantRow]
    for_review: list[GrantRow]
    reviewed: list[GrantRow]


def privacy_queue(
    *, actor: Actor, organisation: Organisation, request: HttpRequest | None = None
) -> PrivacyQueue:
    """Requests to decide, break-glass to review, used or expired grants to review."""
    rows = list(
        visible(
            actor,
            Action.READ,
            IdentityGrant.objects.filter(organisation=organisation),
            Purpose.AUDIT_OVERSIGHT,
            request=request,
        ).select_related("participant", "requested_by", "decided_by", "reviewed_by")
    )
    now = clock.now()
    pending, glass, review, done = [], [], [], []
    for g in rows:
        row = grant_row(g)
        if g.status == GrantStatus.PENDING:
            pending.append(row)
        elif g.reviewed_at is not None:
            done.append(row)
        elif g.kind == GrantKind.BREAK_GLASS:
            glass.append(row)
        elif g.status == GrantStatus.APPROVED and (
            g.first_used_at is not None or (g.expires_at is not None and g.expires_at <= now)
        ):
            review.append(row)
        elif g.status == GrantStatus.REFUSED:
            done.append(row)
    return PrivacyQueue(pending=pending, break_glass=glass, for_review=review, reviewed=done[:50])


def refused_purposes(
    *, actor: Actor, organisation: Organisation, request: HttpRequest | None = None
) -> list[dict[str, Any]] | None:
    """Return every refused attempt to name a prohibited purpose by people of the organisation."""
    resource = Resource(
        kind=ResourceKind.AUDIT_TRAIL,
        reference=f"audit:purpose-refused:{organisation.pk}",
        organisation_id=organisation.pk,
    )
    if not can(actor, Action.READ, resource, Purpose.AUDIT_OVERSIGHT, request=request):
        return None
    people = set(
        StaffMembership.objects.filter(organisation=organisation).values_list("user_id", flat=True)
    )
    people_ids = {str(p) for p in people}
    tokens = set(
        Participant.objects.filter(organisation=organisation).values_list("token", flat=True)
    )

    def ours(entry: AuditEntry) -> bool:
        if entry.actor_id in people_ids:
            return True
        # Refusals recorded under a token (a participant) or about one.
        for text in (entry.actor_label, entry.target):
            if text.startswith("participant:"):
                token = text.removeprefix("participant:").split("/", 1)[0]
                if token in tokens:
                    return True
        return False

    # Refusals are rare: read them all and keep this organisation's.
    entries = [
        e
        for e in AuditEntry.objects.filter(event=EventType.ACCESS_PURPOSE_REFUSED).order_by("-id")[
            :5000
        ]
        if ours(e)
    ]

    names = {str(u.pk): staff_name(u) for u in User.objects.filter(pk__in=list(people))}
    return [
        {
            "when": e.created_at,
            "who": names.get(e.actor_id, "someone without a staff role"),
            "role": e.role.replace("_", " ") or "none",
            "purpose": _purpose_label(e.purpose),
            "target": e.target,
            "reason": e.reason,
        }
        for e in entries[:500]
    ]
