"""Break-glass on a client's record (issue 18): open it in an emergency, review it afterwards.

The rule is the policy's, shared with break-glass on an identity
(``access.policy.decide_break_glass``): a specialist, for a safety
emergency only, on a client of their own practice who is not theirs. An
opening lets its specialist read the client's record (details, progress
notes, plans, measures; never a psychotherapy note) for
``BREAK_GLASS_MINUTES``; every read during it is decided and audited as any
other. The privacy officers are e-mailed at once, naming nobody; one of
them, never the opener, records a review. As for identities, a specialist
has at most one unreviewed opening at a time: another is refused, audited,
and the privacy officers are alerted so that they can review, or allow one
more (``breakglass_allowance_grant``: someone with the privacy role, never
the therapist, for ``BREAK_GLASS_ALLOWANCE_HOURS``; the next opening uses it).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, decide_break_glass
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import User
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.alerts import absolute, privacy_officers_mailed
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    BREAK_GLASS_ALLOWANCE_HOURS,
    BREAK_GLASS_MINUTES,
    Client,
    ClientBreakGlass,
    ClientBreakGlassAllowance,
)
from wellkept.practice.scopes import breakglass_resource, client_record_resource
from wellkept.practice.selectors.breakglass import live_opening, usable_allowances
from wellkept.reasons import reason_text

EMERGENCY = Purpose.SAFETY_EMERGENCY
OVERSIGHT = Purpose.AUDIT_OVERSIGHT
# The same bounds as a break-glass reason on an identity (followup).
REASON_MIN = 20
REASON_MAX = 1000

ALERT_SUBJECT = "Break-glass: a client's record was opened in a safety emergency"
BLOCKED_SUBJECT = "Break-glass refused: a therapist's earlier opening waits for your review"
ALERT_BODY = """\
Hello,

{what} at {organisation}. A break-glass access needs review by someone with
the privacy role other than the therapist who opened it:

{url}
{more}
This e-mail names nobody on purpose.
"""
BLOCKED_MORE = (
    "\nThe therapist is in another emergency now and was refused: review the\n"
    "earlier opening from that page.\n"
)


class BreakGlassLimit(ValidationError):
    """Another opening while one of the specialist's openings waits for review."""


def _reason(
    value: str, *, field: str, what: str = "the reason", previous: str | None = None
) -> str:
    """The reason on one line, or a refusal that names the form's field."""
    try:
        return reason_text(
            value,
            minimum=REASON_MIN,
            maximum=REASON_MAX,
            what=what,
            previous=previous,
            too_short=(
                f"Write {what} in a sentence or two (at least {REASON_MIN} characters): the "
                "privacy officer reads it when they review this access."
            ),
        )
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None


def _refuse(*, actor: Actor, target: str, reason: str, request: HttpRequest | None) -> None:
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=target,
        outcome=Outcome.DENIED,
        reason=reason,
        purpose=EMERGENCY.value,
        request=request,
    )


def _review_path(opening: ClientBreakGlass) -> str:
    return (
        reverse("practice:breakglass_review", args=[opening.pk])
        + "?"
        + urlencode({"org": opening.organisation.slug})
    )


def _alert(opening: ClientBreakGlass, *, exclude: object, blocked: bool = False) -> None:
    subject = BLOCKED_SUBJECT if blocked else ALERT_SUBJECT
    url = absolute(_review_path(opening))

    def body(name: str) -> str:
        return ALERT_BODY.format(
            what=subject, organisation=name, url=url, more=BLOCKED_MORE if blocked else ""
        )

    privacy_officers_mailed(opening.organisation, subject=subject, body=body, exclude=exclude)


def _last_reason(actor: Actor) -> str:
    last = (
        ClientBreakGlass.objects.filter(opened_by_id=getattr(actor, "pk", None))
        .order_by("-opened_at")
        .first()
    )
    return last.reason if last is not None and isinstance(last.reason, str) else ""


def breakglass_code_unknown(
    *, actor: Actor, organisation: Organisation, request: HttpRequest | None = None
) -> None:
    """Audit a break-glass attempt on a code no client of the practice has.

    Every access attempt is audited (invariant 4), a mistyped or guessed
    code too. What was typed is not kept: it may be a name rather than a
    code, and an audit entry holds references, never content.
    """
    with transaction.atomic():
        _refuse(
            actor=actor,
            target=f"practice:{organisation.pk}/break-glass",
            reason="no client of this practice has the code entered",
            request=request,
        )


def breakglass_open(
    *, actor: Actor, client: Client, reason: str, request: HttpRequest | None = None
) -> ClientBreakGlass:
    """Open ``client``'s record to ``actor`` for an hour, in a safety emergency; alert and audit.

    A live opening of the same client by the same specialist is returned as
    it is (no second alert). While another of the specialist's openings
    waits for review, the opening needs a privacy officer's allowance, which
    it uses up; without one it is refused (``BreakGlassLimit``), audited, and
    the privacy officers are alerted.
    """
    text = _reason(reason, field="reason", previous=_last_reason(actor))
    resource = client_record_resource(client)
    decision = decide_break_glass(actor=actor, resource=resource, purpose=EMERGENCY)
    if not decision.allowed:
        with transaction.atomic():
            _refuse(actor=actor, target=resource.reference, reason=decision.reason, request=request)
        raise PermissionDenied(
            "Break-glass is for a therapist of this practice, on a client who is not theirs, "
            "in a safety emergency."
        )
    therapist = person(actor)
    blocking: ClientBreakGlass | None = None
    with transaction.atomic():
        # The therapist's own row is the lock: two openings at once by one
        # person queue here, so both cannot find "nothing waits for review".
        lock_rows(User.objects.filter(pk=therapist.pk)).exists()
        live = live_opening(actor=actor, client=client)
        if live is not None:
            return live
        blocking = (
            ClientBreakGlass.objects.filter(opened_by=therapist, reviewed_at__isnull=True)
            .select_related("organisation")
            .order_by("opened_at")
            .first()
        )
        now = clock.now()
        allowance = None
        if blocking is not None:
            # Only an allowance given for the opening that waits now: one
            # given for an opening since reviewed allowed nothing further.
            allowance = lock_rows(
                usable_allowances(
                    therapist_id=therapist.pk, organisation_id=client.organisation_id
                ).filter(waiting=blocking)
            ).first()
        if blocking is None or allowance is not None:
            opening = ClientBreakGlass(
                organisation_id=client.organisation_id,
                client=client,
                opened_by=therapist,
                opened_at=now,
                expires_at=now + dt.timedelta(minutes=BREAK_GLASS_MINUTES),
            )
            opening.reason = text
            opening.save(force_insert=True)
            if allowance is not None:
                allowance.used_by = opening
                allowance.save(update_fields=["used_by"])
            audit_record(
                actor=actor,
                event=EventType.BREAKGLASS_OPENED,
                target=f"client:{client.pk}/breakglass:{opening.pk}",
                purpose=EMERGENCY.value,
                role=decision.role,
                reason=(
                    f"safety emergency; client's record for {BREAK_GLASS_MINUTES} min; "
                    "review pending"
                    + (f"; under allowance {allowance.pk}" if allowance is not None else "")
                ),
                request=request,
            )
            _alert(opening, exclude=therapist.pk)
            return opening
    with transaction.atomic():
        _refuse(
            actor=actor,
            target=resource.reference,
            reason=(
                f"break-glass limit: opening {blocking.pk} waits for review and no "
                "allowance covers another"
            ),
            request=request,
        )
        _alert(blocking, exclude=therapist.pk, blocked=True)
    raise BreakGlassLimit(
        f"Your break-glass opening of {blocking.opened_at:%d %B %Y, %H:%M} UTC waits for a "
        "privacy officer's review. Until it is reviewed, another opening needs a privacy "
        "officer's allowance; they have just been alerted. In immediate danger, follow your "
        "practice's emergency procedure now.",
        code="review_pending",
    )


def breakglass_review(
    *,
    actor: Actor,
    opening: ClientBreakGlass,
    note: str,
    request: HttpRequest | None = None,
) -> ClientBreakGlass:
    """Record a privacy officer's review of an opening (never the opener's own), once."""
    text = _reason(note, field="note", what="your review")
    if not can(actor, Action.UPDATE, breakglass_resource(opening), OVERSIGHT, request=request):
        raise PermissionDenied(
            "Only someone with the privacy role, other than the therapist, can review."
        )
    with transaction.atomic():
        locked = lock_rows(ClientBreakGlass.objects.all()).get(pk=opening.pk)
        if locked.reviewed_at is not None:
            return locked
        locked.reviewed_by = person(actor)
        locked.reviewed_at = clock.now()
        locked.review_note = text
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            event=EventType.GRANT_REVIEWED,
            target=f"client:{locked.client_id}/breakglass:{locked.pk}",
            purpose=OVERSIGHT.value,
            reason="client_breakglass",
            request=request,
        )
    return locked


def breakglass_allowance_grant(
    *,
    actor: Actor,
    opening: ClientBreakGlass,
    reason: str,
    request: HttpRequest | None = None,
) -> ClientBreakGlassAllowance:
    """Allow the therapist of an opening waiting for review one more opening before the review.

    Someone with the privacy role, never the therapist (the policy: the
    opening is the therapist's own; and the constraint), with a written
    reason; one unused allowance per therapist at a time, usable for
    ``BREAK_GLASS_ALLOWANCE_HOURS``. Audited under the therapist: it is about
    their next emergency, not about the client of this opening.
    """
    text = _reason(reason, field="reason", what="why another opening is allowed")
    if not can(actor, Action.UPDATE, breakglass_resource(opening), OVERSIGHT, request=request):
        raise PermissionDenied(
            "Only someone with the privacy role, other than the therapist, can allow this."
        )
    if str(opening.opened_by_id) == str(getattr(actor, "pk", None)):
        raise PermissionDenied("Nobody can allow themselves another break-glass opening.")
    with transaction.atomic():
        # The therapist's row is the lock, as for an opening: an allowance
        # and an opening at once queue here.
        lock_rows(User.objects.filter(pk=opening.opened_by_id)).exists()
        locked = lock_rows(ClientBreakGlass.objects.all()).get(pk=opening.pk)
        if locked.reviewed_at is not None:
            raise ValidationError(
                "This opening is already reviewed: the therapist may open another without an "
                "allowance.",
                code="not_waiting",
            )
        if usable_allowances(
            therapist_id=locked.opened_by_id, organisation_id=locked.organisation_id
        ).exists():
            raise ValidationError(
                "This therapist already has an unused allowance for another opening.",
                code="already_allowed",
            )
        now = clock.now()
        allowance = ClientBreakGlassAllowance(
            organisation_id=locked.organisation_id,
            therapist_id=locked.opened_by_id,
            granted_by=person(actor),
            granted_at=now,
            expires_at=now + dt.timedelta(hours=BREAK_GLASS_ALLOWANCE_HOURS),
            waiting=locked,
        )
        allowance.reason = text
        allowance.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.BREAKGLASS_ALLOWED,
            target=f"user:{locked.opened_by_id}/practice-breakglass-allowance:{allowance.pk}",
            purpose=OVERSIGHT.value,
            reason=(
                f"one more opening within {BREAK_GLASS_ALLOWANCE_HOURS} h while client "
                f"break-glass {locked.pk} waits for review"
            ),
            request=request,
        )
    return allowance
