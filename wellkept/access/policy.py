"""The one access policy: role, relationship, action, resource kind, purpose, consent.

Deny by default: an access is allowed only when a rule in ``RULES`` names the
actor's role (in the resource's organisation), their relationship to the
resource, the action, the kind and the declared purpose, and the subject's
consent state allows it. ``RULES`` is DESIGN.md's roles table written out;
anything it does not mention is refused.

- ``decide`` answers without side effects (it only reads roles and links).
- ``can`` decides for one resource and writes exactly one audit event.
- ``visible`` filters a queryset in SQL by the same rules, one audit event per call.
- ``get_for`` is the accessor for one object: the object, or 404 for missing
  and forbidden alike (same message, same status), one audit event.

Consent: for kinds about one person (``SUBJECT_KINDS``) the subject's
consent state counts. Unless the caller passes ``consent_ok``, it is looked
up from the consent app for the resource's participant: a current consent to
the organisation's current notice version, with "take part" chosen. Legal
obligation and audit oversight are exempt, and so are the rules marked
``without_consent`` (a participant can still see, export and erase their own
data after leaving, and give or withdraw consent without already holding it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.decorators import check_declared
from wellkept.access.people import people, registered
from wellkept.access.purposes import PROHIBITED, Purpose, parse_purpose
from wellkept.access.resources import (
    SUBJECT_KINDS,
    Relationship,
    Resource,
    ResourceKind,
    scope_for,
)
from wellkept.access.rules import (
    BREAK_GLASS_PURPOSE,
    BREAK_GLASS_RECORD_KINDS,
    BREAK_GLASS_ROLES,
    CONSENT_EXEMPT_PURPOSES,
    RULES,
    AccessRole,
    Rule,
)
from wellkept.actors import Caller, PseudonymousActor, SystemActor

M = TypeVar("M", bound=models.Model)

NOT_FOUND_MESSAGE = "No such record."


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    role: str = ""
    relationship: str = ""
    purpose_refused: bool = False


def _matching(
    roles: Iterable[AccessRole],
    relationship: Relationship,
    action: Action,
    kind: ResourceKind,
) -> list[Rule]:
    held = set(roles)
    return [
        r
        for r in RULES
        if r.role in held
        and r.kind == kind
        and relationship in r.relationships
        and action in r.actions
    ]


def decide_for_roles(
    *,
    roles: Iterable[AccessRole],
    relationship: Relationship,
    action: Action | str,
    kind: ResourceKind | str,
    purpose: Purpose | str,
    consent_ok: bool | Callable[[], bool] = True,
) -> Decision:
    """Answer from the table alone, for roles and a relationship already worked out.

    ``consent_ok`` may be a function: it is called only when a rule needs
    consent, so reads that hold without it cost no consent lookup.
    """
    action, kind, purpose = Action(action), ResourceKind(kind), parse_purpose(purpose)
    roles = sorted(set(roles))
    # Whether a login takes part in the programme is itself confidential
    # (nobody but the privacy role may learn who declined), so the
    # participant role is never named in what is recorded against a login.
    held = ",".join(r for r in roles if r != AccessRole.PARTICIPANT) or "none"
    if purpose in PROHIBITED:
        return Decision(
            False,
            f"The purpose {purpose.value!r} is prohibited: the data serve burnout mitigation only.",
            role=held,
            relationship=relationship.value,
            purpose_refused=True,
        )
    candidates = _matching(roles, relationship, action, kind)
    if not candidates:
        return Decision(
            False,
            f"No rule lets role(s) {held} {action.value} a {kind.value} ({relationship.value}).",
            role=held,
            relationship=relationship.value,
        )
    fitting = [r for r in candidates if purpose in r.purposes]
    if not fitting:
        return Decision(
            False,
            f"The purpose {purpose.value!r} does not allow {action.value} on a {kind.value}.",
            role=held,
            relationship=relationship.value,
        )
    needs_consent = (
        kind in SUBJECT_KINDS
        and purpose not in CONSENT_EXEMPT_PURPOSES
        and not any(r.without_consent for r in fitting)
    )
    if needs_consent and not (consent_ok() if callable(consent_ok) else consent_ok):
        return Decision(
            False,
            "The subject has withdrawn consent.",
            role=held,
            relationship=relationship.value,
        )
    granting = fitting[0].role
    return Decision(
        True,
        f"{granting.value} may {action.value} a {kind.value} ({relationship.value}) "
        f"for {purpose.value}.",
        role=granting.value,
        relationship=relationship.value,
    )


# Whether a participant consents to collection now is the consent app's to
# say; it sits above this module, so it registers its check here at ready()
# instead of being imported.
ConsentCheck = Callable[[Any], bool]
_CONSENT_CHECK: list[ConsentCheck] = []


def register_consent_check(check: ConsentCheck) -> None:
    """Set the check that says whether a participant consents now (from consent's ready())."""
    _CONSENT_CHECK[:] = [check]


def _subject_consents(resource: Resource) -> bool:
    """Look up whether the resource's participant currently consents to collection."""
    if resource.kind not in SUBJECT_KINDS or resource.participant_id is None:
        return True
    # Deny by default: with no consent app to ask, nothing needing consent passes.
    return bool(_CONSENT_CHECK) and _CONSENT_CHECK[0](resource.participant_id)


def _is_user(actor: Caller) -> bool:
    return not isinstance(actor, SystemActor) and bool(getattr(actor, "is_authenticated", False))


def roles_in(user: Any, organisation_id: Any) -> frozenset[AccessRole]:
    """Return the user's roles for a resource of ``organisation_id`` (None: not in an organisation).

    Staff roles count only in the organisation that granted them: a system
    administrator of one hospital is nobody at another. Enrolment in the
    programme makes a participant of that organisation; a signed-in person
    with no staff role is a participant for their own, organisation-less
    resources (their account). Roles come from the source ``orgs``
    registers (``access.people``); without one, nobody holds any.
    """
    if not registered():
        # Deny by default: without orgs to ask, not even the participant role.
        return frozenset()
    source = people()
    staff = {AccessRole(r) for r in source.staff_roles(user.pk, organisation_id)}
    if organisation_id is None:
        return frozenset(staff or {AccessRole.PARTICIPANT})
    if source.is_enrolled(user.pk, organisation_id):
        staff.add(AccessRole.PARTICIPANT)
    return frozenset(staff)


def relationship_of(
    user: Any, resource: Resource, roles: frozenset[AccessRole] | None = None
) -> Relationship:
    """Work out how the user stands to the resource.

    ``roles`` are the user's roles in the resource's organisation when the
    caller has them already (``roles_in``), which saves asking again.
    """
    if resource.owner_user_id is not None and str(resource.owner_user_id) == str(user.pk):
        return Relationship.OWN
    if (
        resource.participant_id is not None
        and resource.organisation_id is not None
        and people().owns_participant(user.pk, resource.organisation_id, resource.participant_id)
    ):
        return Relationship.OWN
    if str(user.pk) in {str(u) for u in resource.assignee_user_ids}:
        return Relationship.ASSIGNED
    if resource.organisation_id is None:
        return Relationship.UNRELATED
    # Someone holding any role there (staff or participant) is inside it.
    if roles is None:
        roles = roles_in(user, resource.organisation_id)
    return Relationship.OTHER if roles else Relationship.UNRELATED


# Reading the identity behind a token is never a standing rule: it needs a
# grant. The followup app registers the check that finds an approved,
# unexpired grant for exactly this actor, token and purpose.
IdentityGrantCheck = Callable[[Any, Resource, Purpose], Decision | None]
_IDENTITY_GRANT_CHECKS: list[IdentityGrantCheck] = []


def register_identity_grant_check(check: IdentityGrantCheck) -> None:
    """Add a source of re-identification grants (called once, from an app's ready())."""
    if check not in _IDENTITY_GRANT_CHECKS:
        _IDENTITY_GRANT_CHECKS.append(check)


def _identity_grant(actor: Caller, resource: Resource, purpose: Purpose) -> Decision | None:
    for check in _IDENTITY_GRANT_CHECKS:
        found = check(actor, resource, purpose)
        if found is not None and found.allowed:
            return found
    return None


# A specialist's break-glass opening of a client's record is not a standing
# rule either: the practice registers the check that finds the actor's live,
# unexpired opening for the resource's client. It is asked only for a READ of
# a break-glass record kind, for a safety emergency, by a break-glass role
# inside the organisation (see ``decide``); everything else stays as the
# rules say.
BreakGlassCheck = Callable[[Any, Resource], Decision | None]
_BREAK_GLASS_CHECKS: list[BreakGlassCheck] = []


def register_break_glass_check(check: BreakGlassCheck) -> None:
    """Add a source of live break-glass openings (called once, from an app's ready())."""
    if check not in _BREAK_GLASS_CHECKS:
        _BREAK_GLASS_CHECKS.append(check)


def _break_glass_opening(
    actor: Caller,
    action: Action,
    resource: Resource,
    purpose: Purpose,
    roles: frozenset[AccessRole],
    relationship: Relationship,
) -> Decision | None:
    if (
        action != Action.READ
        or resource.kind not in BREAK_GLASS_RECORD_KINDS
        or purpose != BREAK_GLASS_PURPOSE
        or not roles & BREAK_GLASS_ROLES
        or relationship != Relationship.OTHER
    ):
        return None
    for check in _BREAK_GLASS_CHECKS:
        found = check(actor, resource)
        if found is not None and found.allowed:
            return found
    return None


def decide(
    *,
    actor: Caller,
    action: Action | str,
    resource: Resource,
    purpose: Purpose | str,
    consent_ok: bool | None = None,
) -> Decision:
    """Decide whether ``actor`` may do ``action`` on ``resource`` for ``purpose``, purely."""
    # Inside a guarded view, the action checked must be the one declared.
    check_declared(action, resource.kind)
    purpose = parse_purpose(purpose)
    consents: bool | Callable[[], bool] = (
        (lambda: _subject_consents(resource)) if consent_ok is None else consent_ok
    )
    if isinstance(actor, SystemActor):
        return decide_for_roles(
            roles={AccessRole.SYSTEM},
            relationship=Relationship.UNRELATED,
            action=action,
            kind=resource.kind,
            purpose=purpose,
            consent_ok=consents,
        )
    if not _is_user(actor):
        if purpose in PROHIBITED:
            return decide_for_roles(
                roles=(),
                relationship=Relationship.UNRELATED,
                action=action,
                kind=resource.kind,
                purpose=purpose,
            )
        return Decision(False, "Not signed in.", role="anonymous")
    roles = roles_in(actor, resource.organisation_id)
    relationship = relationship_of(actor, resource, roles)
    decision = decide_for_roles(
        roles=roles,
        relationship=relationship,
        action=action,
        kind=resource.kind,
        purpose=purpose,
        consent_ok=consents,
    )
    if Action(action) == Action.READ_IDENTITY and not decision.purpose_refused:
        # No rule allows it (rules.py refuses to start with one); only a grant.
        granted = _identity_grant(actor, resource, purpose)
        if granted is not None:
            return granted
    if not decision.allowed and not decision.purpose_refused:
        opened = _break_glass_opening(actor, Action(action), resource, purpose, roles, relationship)
        if opened is not None:
            return opened
    return decision


def decide_break_glass(*, actor: Caller, resource: Resource, purpose: Purpose | str) -> Decision:
    """Decide whether ``actor`` may break the glass on ``resource``, without a second person.

    Only a break-glass role (the specialist), only for a safety emergency:
    on an identity, one who may read the case; on a client's record
    (``BREAK_GLASS_RECORD_KINDS``), one of the organisation who does not
    hold the record already. Pure: the caller records the outcome.
    """
    purpose = parse_purpose(purpose)
    if purpose in PROHIBITED or not _is_user(actor):
        return decide(actor=actor, action=Action.READ, resource=resource, purpose=purpose)
    roles = roles_in(actor, resource.organisation_id)
    held = ",".join(sorted(r for r in roles if r != AccessRole.PARTICIPANT)) or "none"
    if purpose != BREAK_GLASS_PURPOSE:
        return Decision(
            False, "Break-glass is for a safety emergency only.", role=held, relationship=""
        )
    breaking = sorted(roles & BREAK_GLASS_ROLES)
    if not breaking:
        return Decision(False, "Only a specialist may use break-glass.", role=held)
    if resource.kind in BREAK_GLASS_RECORD_KINDS:
        # A client's record: break-glass is for one the specialist cannot
        # read yet, in their own organisation. Their own clients need none;
        # another organisation's are out of reach (relationship UNRELATED).
        relationship = relationship_of(actor, resource, roles)
        if relationship != Relationship.OTHER:
            return Decision(
                False,
                "Break-glass opens a record of one's own organisation that one does not "
                f"already hold ({relationship.value}).",
                role=held,
                relationship=relationship.value,
            )
        return Decision(
            True,
            "break-glass: specialist, safety emergency, client's record; review pending",
            role=breaking[0].value,
            relationship=relationship.value,
        )
    reading = decide(actor=actor, action=Action.READ, resource=resource, purpose=purpose)
    if not reading.allowed:
        return reading
    return Decision(
        True,
        "break-glass: specialist, safety emergency; review pending",
        role=breaking[0].value,
        relationship=reading.relationship,
    )


def _record(
    *,
    actor: Caller,
    action: Action,
    target: str,
    purpose: Purpose,
    decision: Decision,
    request: HttpRequest | None,
    staff_owned: bool = False,
) -> None:
    from wellkept.audit.events import EventType, Outcome
    from wellkept.audit.services import audit_record

    if (
        decision.relationship == Relationship.OWN.value
        and target.startswith("participant:")
        # Filed under a token but the actor's own as staff (their own
        # re-identification request): a staff action, recorded as such.
        and not staff_owned
    ):
        # A participant on their own token-level data is recorded under the
        # token, with no user id and no request details: an entry holding
        # both would link the login to the token (invariant 2).
        # Targets are "participant:<token>" or "participant:<token>/<record>".
        actor = PseudonymousActor(target.removeprefix("participant:").split("/", 1)[0])
        request = None
    if decision.purpose_refused:
        event = EventType.ACCESS_PURPOSE_REFUSED
    elif not decision.allowed:
        event = EventType.ACCESS_DENIED
    else:
        event = EventType(ALLOWED_EVENTS[action])
    audit_record(
        actor=actor,
        event=event,
        target=target,
        outcome=Outcome.ALLOWED if decision.allowed else Outcome.DENIED,
        reason=decision.reason,
        purpose=purpose.value,
        role=decision.role,
        request=request,
    )


# The audit event an allowed action is recorded as.
ALLOWED_EVENTS: dict[Action, str] = {
    Action.READ: "record.read",
    Action.CREATE: "record.create",
    Action.UPDATE: "record.update",
    Action.DELETE: "record.delete",
    Action.EXPORT: "record.export",
    Action.VIEW_AGGREGATE: "aggregate.view",
    Action.FOLLOW_UP: "record.update",
    Action.READ_IDENTITY: "record.read",
}


def can(
    actor: Caller,
    action: Action | str,
    resource: Resource,
    purpose: Purpose | str,
    *,
    request: HttpRequest | None = None,
    consent_ok: bool | None = None,
) -> bool:
    """Decide for one resource and record the decision, allowed or denied, in the audit trail.

    An unknown purpose raises ``UnknownPurpose`` before anything is decided:
    it is a programming error, or input the caller must reject as invalid.
    """
    action, purpose = Action(action), parse_purpose(purpose)
    decision = decide(
        actor=actor, action=action, resource=resource, purpose=purpose, consent_ok=consent_ok
    )
    _record(
        actor=actor,
        action=action,
        target=resource.reference,
        purpose=purpose,
        decision=decision,
        request=request,
        staff_owned=resource.owner_user_id is not None
        and str(resource.owner_user_id) == str(getattr(actor, "pk", None)),
    )
    return decision.allowed


def _as_queryset(source: QuerySet[M] | type[M]) -> QuerySet[M]:
    if isinstance(source, QuerySet):
        return source
    return source._default_manager.all()


def _connected_organisations(user: Any) -> list[Any]:
    """Organisations the user is staff in or enrolled in (the latter found by keyed link)."""
    return people().organisations(user.pk)


def _allowed_rows(
    user: Any,
    queryset: QuerySet[Any],
    action: Action,
    purpose: Purpose,
    consent_ok: bool,
) -> tuple[Q | None, Decision]:
    scope = scope_for(queryset.model)
    if purpose in PROHIBITED:
        # Refused as such even for someone connected to no organisation.
        refusal = decide_for_roles(
            roles=(),
            relationship=Relationship.UNRELATED,
            action=action,
            kind=scope.kind,
            purpose=purpose,
        )
        return None, refusal
    allowed: Q | None = None
    reasons: list[str] = []
    roles_used: set[str] = set()
    for org in _connected_organisations(user):
        roles = roles_in(user, org)
        in_org = Q(**{scope.organisation_field: org})
        by_relationship = {
            Relationship.OWN: scope.own(user, [org]) if scope.own else None,
            Relationship.ASSIGNED: scope.assigned(user) if scope.assigned else None,
            Relationship.OTHER: Q(),
        }
        for relationship, rows in by_relationship.items():
            decision = decide_for_roles(
                roles=roles,
                relationship=relationship,
                action=action,
                kind=scope.kind,
                purpose=purpose,
                consent_ok=consent_ok,
            )
            if decision.purpose_refused:
                return None, decision
            if decision.allowed and rows is not None:
                clause = in_org & rows
                allowed = clause if allowed is None else allowed | clause
                roles_used.add(decision.role)
                reasons.append(decision.reason)
    if scope.kind == ResourceKind.ACCOUNT and scope.own is not None:
        # Accounts belong to no organisation; only one's own is ever listed.
        decision = decide_for_roles(
            roles=roles_in(user, None),
            relationship=Relationship.OWN,
            action=action,
            kind=scope.kind,
            purpose=purpose,
            consent_ok=consent_ok,
        )
        if decision.allowed:
            own = scope.own(user, [])
            allowed = own if allowed is None else allowed | own
            roles_used.add(decision.role)
            reasons.append(decision.reason)
    if allowed is None:
        return None, Decision(
            False,
            f"No rule lets this actor {action.value} any {scope.kind.value} for {purpose.value}.",
            role=",".join(sorted(r for r in roles_in(user, None) if r != AccessRole.PARTICIPANT)),
        )
    return allowed, Decision(
        True, " ".join(sorted(set(reasons))), role=",".join(sorted(roles_used))
    )


def visible(
    actor: Caller,
    action: Action | str,
    queryset: QuerySet[M] | type[M],
    purpose: Purpose | str,
    *,
    request: HttpRequest | None = None,
    consent_ok: bool = True,
) -> QuerySet[M]:
    """Return the rows of ``queryset`` the actor may ``action`` for ``purpose``; one audit event.

    ``consent_ok`` applies to the whole list. Listings today are a
    participant's own rows, whose read rules hold without consent; a staff
    listing of token-level rows (the follow-up queue) filters by consent in
    its own selector.
    """
    action, purpose = Action(action), parse_purpose(purpose)
    rows = _as_queryset(queryset)
    scope = scope_for(rows.model)
    target = f"{scope.kind.value}:list"
    if isinstance(actor, SystemActor):
        decision = decide_for_roles(
            roles={AccessRole.SYSTEM},
            relationship=Relationship.UNRELATED,
            action=action,
            kind=scope.kind,
            purpose=purpose,
            consent_ok=consent_ok,
        )
        result = rows if decision.allowed else rows.none()
    elif not _is_user(actor):
        decision = decide(
            actor=actor,
            action=action,
            resource=Resource(kind=scope.kind, reference=target),
            purpose=purpose,
        )
        result = rows.none()
    else:
        condition, decision = _allowed_rows(actor, rows, action, purpose, consent_ok)
        result = rows.none() if condition is None else rows.filter(condition).distinct()
        if AccessRole.PARTICIPANT.value in decision.role.split(","):
            actor, target, decision, request = _as_own_participant_listing(
                actor, rows, scope, decision, target, request
            )
    _record(
        actor=actor,
        action=action,
        target=target,
        purpose=purpose,
        decision=decision,
        request=request,
    )
    return result


def _as_own_participant_listing(
    user: Any,
    rows: QuerySet[Any],
    scope: Any,
    decision: Decision,
    target: str,
    request: HttpRequest | None,
) -> tuple[Any, str, Decision, HttpRequest | None]:
    """Record a participant listing their own rows without naming their login.

    The row that was decided through the participant role is the person's
    own; recording it with the user id would tell the trail who takes part.
    """
    token = None
    if scope.own is not None:
        # Whatever the rows are (the participant row, responses, consent
        # records), the listing went through the person's own token: find it
        # by the keyed link, so the entry never carries the user id.
        token = people().own_token(user.pk)
    staff_roles = [r for r in decision.role.split(",") if r and r != AccessRole.PARTICIPANT]
    if token is not None and not staff_roles:
        return PseudonymousActor(token), target, decision, None
    # Staff who also take part: record the staff decision only.
    scrubbed = Decision(
        decision.allowed,
        "allowed by the actor's staff role(s)" if staff_roles else "own records",
        role=",".join(staff_roles),
        relationship=decision.relationship,
    )
    return user, target, scrubbed, request


def get_for(
    *,
    actor: Caller,
    queryset: QuerySet[M] | type[M],
    pk: Any,
    action: Action | str,
    purpose: Purpose | str,
    request: HttpRequest | None = None,
    consent_ok: bool | None = None,
) -> M:
    """Return the object, or raise Http404 whether it is missing or forbidden; one audit event."""
    action, purpose = Action(action), parse_purpose(purpose)
    rows = _as_queryset(queryset)
    scope = scope_for(rows.model)
    try:
        obj = rows.filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        obj = None  # a malformed id is just another missing object
    if obj is None:
        # Log the attempt by kind only: a made-up id is not a reference to anything.
        target = f"{scope.kind.value}:unknown"
        refusal = decide_for_roles(
            roles=(),
            relationship=Relationship.UNRELATED,
            action=action,
            kind=scope.kind,
            purpose=purpose,
        )
        if not refusal.purpose_refused:
            refusal = Decision(False, "No such record.")
        _record(
            actor=actor,
            action=action,
            target=target,
            purpose=purpose,
            decision=refusal,
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    resource = scope.describe(obj)
    if not can(actor, action, resource, purpose, request=request, consent_ok=consent_ok):
        raise Http404(NOT_FOUND_MESSAGE)
    return obj
