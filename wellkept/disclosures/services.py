"""Writes of release of information: authorisations, legal bases, disclosures, downloads.

Each service asks the policy first (one audited decision on the client's
``disclosure`` resource), validates, and records its own audit event in the
same transaction; references only, never a recipient or a purpose.

A disclosure is refused unless it rests on a current authorisation (signed,
not revoked, not expired) that covers every category and the whole date
range asked for, or on a recorded legal basis; psychotherapy notes leave
only under their own authorisation. Every refusal is decided before the
write transaction and audited on its own, so it stays in the trail (as
``practice.services.families._decide_each_first`` does for joint writes).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import User
from wellkept.accounts.tokens import token_issue
from wellkept.actors import Actor, Caller, SystemActor, person
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record, lock_rows
from wellkept.disclosures.models import (
    CATEGORY_LABELS,
    LINK_DAYS,
    PSYCHOTHERAPY_NOTES,
    Authorisation,
    AuthorisationKind,
    Category,
    Disclosure,
    DisclosureLink,
    LegalBasis,
    LegalBasisKind,
)
from wellkept.disclosures.package import as_zip, package_build
from wellkept.disclosures.scopes import disclosure_resource
from wellkept.disclosures.selectors import link_for
from wellkept.orgs.alerts import absolute, privacy_officers_mailed
from wellkept.practice.models import Client
from wellkept.practice.services.deciding import allow, purpose_of
from wellkept.reasons import reason_text

CARE = Purpose.CLINICAL_CARE
LEGAL = Purpose.LEGAL_OBLIGATION
TEXT_MAX = 500
REASON_MIN = 20
# An authorisation lasts at most this long: a release "until further notice"
# is not informed consent.
MOST_DAYS = 366 * 2

ALERT_SUBJECT = "Disclosure without authorisation: a legal basis was recorded"
ALERT_BODY = """\
Hello,

A therapist at {organisation} recorded a legal basis (a court order, a duty
to warn or a mandated report) to disclose a client's information without
the client's authorisation. The disclosure is listed in the practice's
accounting of disclosures:

{url}

This e-mail names nobody on purpose.
"""


@dataclass(frozen=True)
class Recipient:
    name: str
    organisation: str
    address: str


@dataclass(frozen=True)
class IssuedDisclosure:
    """A disclosure and its download link's secret, which is shown once and never stored."""

    disclosure: Disclosure
    raw: str


class DisclosureRefused(ValidationError):
    """A disclosure the rules do not allow; its refusal is already in the audit trail."""


def _purpose(actor: Actor, purpose: Purpose) -> Purpose:
    # Commands (demo seeding) administer; people act for care or the law.
    chosen = purpose_of(actor)
    return purpose if chosen == CARE else chosen


def _words(value: str, *, field: str, what: str, minimum: int = 1) -> str:
    text = " ".join((value or "").split())
    if len(text) < minimum:
        raise ValidationError({field: f"Enter {what}."})
    if len(text) > TEXT_MAX:
        raise ValidationError({field: f"Keep {what} under {TEXT_MAX} characters."})
    return text


def _reason(value: str, *, field: str, what: str) -> str:
    try:
        return reason_text(
            value,
            minimum=REASON_MIN,
            maximum=TEXT_MAX,
            what=what,
            too_short=f"Write {what} in a sentence (at least {REASON_MIN} characters).",
        )
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from None


def _folded_name(value: str) -> str:
    return " ".join(value.casefold().split())


def _ip(request: HttpRequest | None) -> str:
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


def authorisation_text(
    *,
    authorisation_id: object,
    client: Client,
    kind: str,
    categories: Sequence[str],
    records_from: dt.date,
    records_to: dt.date,
    expires_on: dt.date,
    recipient: Recipient,
    purpose: str,
) -> str:
    """The words the client signs; its SHA-256 digest is kept with the signature."""
    what = ", ".join(CATEGORY_LABELS[c] for c in categories)
    return (
        f"Authorisation {authorisation_id}\n"
        f"I authorise {client.organisation.name} to release {what} "
        f"from my records dated {records_from.isoformat()} to {records_to.isoformat()} "
        f"to {recipient.name}"
        + (f" ({recipient.organisation})" if recipient.organisation else "")
        + f", {recipient.address}, for this purpose: {purpose}.\n"
        f"This authorisation expires at the end of {expires_on.isoformat()}. I may revoke it "
        "in writing at any time, except for what was already released under it. My care "
        f"does not depend on signing it. Kind: {kind}.\n"
    )


def _categories(kind: str, categories: Sequence[str]) -> list[str]:
    if kind == AuthorisationKind.PSYCHOTHERAPY_NOTES:
        # Their own authorisation covers them alone, whatever else was ticked.
        if any(c != PSYCHOTHERAPY_NOTES for c in categories):
            raise ValidationError(
                {
                    "categories": "An authorisation for psychotherapy notes covers them alone: "
                    "record the other categories in a separate authorisation."
                }
            )
        return [PSYCHOTHERAPY_NOTES]
    if kind != AuthorisationKind.RECORDS:
        raise ValidationError({"kind": "Choose the kind of authorisation."})
    if PSYCHOTHERAPY_NOTES in categories:
        raise ValidationError(
            {
                "categories": "Psychotherapy notes need an authorisation of their own: choose "
                "that kind of authorisation for them."
            }
        )
    chosen = [c for c in Category.values if c in set(categories)]
    if not chosen or len(chosen) != len(set(categories)):
        raise ValidationError({"categories": "Choose at least one category of records."})
    return chosen


def authorisation_sign(
    *,
    actor: Actor,
    client: Client,
    kind: str,
    categories: Sequence[str],
    records_from: dt.date,
    records_to: dt.date,
    expires_on: dt.date,
    recipient: Recipient,
    purpose: str,
    signed_name: str,
    request: HttpRequest | None = None,
) -> Authorisation:
    """Record the client's authorisation, signed now in the office with their typed legal name."""
    allow(
        actor,
        Action.CREATE,
        disclosure_resource(client),
        request,
        "record authorisations for this client",
        _purpose(actor, CARE),
    )
    chosen = _categories(kind, categories)
    today = clock.now().astimezone(dt.UTC).date()
    if records_to < records_from:
        raise ValidationError({"records_to": "The end of the date range is before its start."})
    if expires_on <= today:
        raise ValidationError({"expires_on": "The expiry date must be after today."})
    if expires_on > today + dt.timedelta(days=MOST_DAYS):
        raise ValidationError(
            {"expires_on": "An authorisation lasts at most two years: choose an earlier date."}
        )
    recipient = Recipient(
        name=_words(recipient.name, field="recipient_name", what="the recipient's name"),
        organisation=_words(
            recipient.organisation,
            field="recipient_organisation",
            what="the organisation",
            minimum=0,
        ),
        address=_words(
            recipient.address, field="recipient_address", what="the recipient's address or e-mail"
        ),
    )
    purpose_text = _words(purpose, field="purpose", what="the purpose of the release", minimum=3)
    legal_name = client.legal_name if isinstance(client.legal_name, str) else ""
    if not legal_name or _folded_name(signed_name) != _folded_name(legal_name):
        raise ValidationError(
            {"signed_name": "The client signs by typing their legal name exactly as on file."}
        )
    now = clock.now()
    authorisation = Authorisation(
        client=client,
        kind=kind,
        categories=",".join(chosen),
        records_from=records_from,
        records_to=records_to,
        expires_on=expires_on,
        recorded_by=person(actor) if not _is_system(actor) else client_therapist(client),
        created_at=now,
        signed_at=now,
    )
    text = authorisation_text(
        authorisation_id=authorisation.pk,
        client=client,
        kind=kind,
        categories=chosen,
        records_from=records_from,
        records_to=records_to,
        expires_on=expires_on,
        recipient=recipient,
        purpose=purpose_text,
    )
    authorisation.text_digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    authorisation.recipient_name = recipient.name
    authorisation.recipient_organisation = recipient.organisation
    authorisation.recipient_address = recipient.address
    authorisation.purpose = purpose_text
    authorisation.signed_name = " ".join(signed_name.split())
    authorisation.signed_ip = _ip(request)
    with transaction.atomic():
        authorisation.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.DISCLOSURE_AUTHORISATION_SIGNED,
            target=f"client:{client.pk}/authorisation:{authorisation.pk}",
            purpose=_purpose(actor, CARE).value,
            reason=f"{kind}; categories {authorisation.categories}; expires {expires_on}",
            request=request,
        )
    return authorisation


def _is_system(actor: Actor) -> bool:
    return isinstance(actor, SystemActor)


def client_therapist(client: Client) -> User:
    """The client's first current therapist: who a command's record stands for (demo seeding)."""
    from wellkept.practice.models import ClientAssignment

    assignment = (
        ClientAssignment.objects.filter(client=client, until__isnull=True)
        .select_related("therapist")
        .order_by("since")
        .first()
    )
    if assignment is None:
        raise ValidationError("The client has no therapist to record this.")
    return assignment.therapist


def authorisation_revoke(
    *,
    actor: Actor,
    authorisation: Authorisation,
    reason: str,
    request: HttpRequest | None = None,
) -> Authorisation:
    """Revoke an authorisation on the client's written request: nothing more leaves under it."""
    client = authorisation.client
    allow(
        actor,
        Action.UPDATE,
        disclosure_resource(client),
        request,
        "revoke this client's authorisations",
        _purpose(actor, CARE),
    )
    text = _reason(reason, field="reason", what="the client's written request")
    with transaction.atomic():
        locked = lock_rows(Authorisation.objects.all()).get(pk=authorisation.pk)
        if locked.revoked_at is not None:
            raise ValidationError("This authorisation was already revoked.", code="revoked")
        locked.revoked_at = clock.now()
        locked.revoked_by = person(actor)
        locked.revocation_reason = text
        locked.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
        audit_record(
            actor=actor,
            event=EventType.DISCLOSURE_AUTHORISATION_REVOKED,
            target=f"client:{client.pk}/authorisation:{locked.pk}",
            purpose=_purpose(actor, CARE).value,
            request=request,
        )
    return locked


def legal_basis_record(
    *,
    actor: Actor,
    client: Client,
    kind: str,
    reference: str,
    reason: str,
    request: HttpRequest | None = None,
) -> LegalBasis:
    """Record a legal basis to disclose without authorisation; the privacy officers are alerted."""
    allow(
        actor,
        Action.CREATE,
        disclosure_resource(client),
        request,
        "record a legal basis for this client",
        _purpose(actor, LEGAL),
    )
    if kind not in LegalBasisKind.values:
        raise ValidationError({"kind": "Choose the kind of legal basis."})
    basis = LegalBasis(
        client=client,
        kind=kind,
        recorded_by=person(actor),
        recorded_at=clock.now(),
    )
    basis.reference = _words(
        reference, field="reference", what="the reference (order number, report number)", minimum=3
    )
    basis.reason = _reason(reason, field="reason", what="why the law requires this disclosure")
    with transaction.atomic():
        basis.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.DISCLOSURE_LEGAL_BASIS_RECORDED,
            target=f"client:{client.pk}/legal_basis:{basis.pk}",
            purpose=_purpose(actor, LEGAL).value,
            reason=kind,
            request=request,
        )
        url = absolute(
            reverse("disclosures:practice_accounting") + f"?org={client.organisation.slug}"
        )
        privacy_officers_mailed(
            client.organisation,
            subject=ALERT_SUBJECT,
            body=lambda name: ALERT_BODY.format(organisation=name, url=url),
            exclude=getattr(actor, "pk", None),
        )
    return basis


def _refusal(
    *,
    client: Client,
    authorisation: Authorisation | None,
    legal_basis: LegalBasis | None,
    categories: Sequence[str],
    records_from: dt.date,
    records_to: dt.date,
) -> tuple[str, str, str] | None:
    """Why the disclosure may not be made (field, message, audit reason), or None."""
    if authorisation is None and legal_basis is None:
        return (
            "basis",
            "A disclosure needs the client's current authorisation or a recorded legal basis.",
            "no basis",
        )
    if authorisation is not None and legal_basis is not None:
        return ("basis", "Choose one basis: an authorisation or a legal basis.", "two bases")
    if not categories:
        return ("categories", "Choose at least one category to release.", "no category")
    if any(c not in CATEGORY_LABELS for c in categories):
        return ("categories", "Choose categories from the list.", "unknown category")
    if records_to < records_from:
        return ("records_to", "The end of the date range is before its start.", "range reversed")
    chosen = set(categories)
    if PSYCHOTHERAPY_NOTES in chosen and (
        authorisation is None or authorisation.kind != AuthorisationKind.PSYCHOTHERAPY_NOTES
    ):
        return (
            "categories",
            "Psychotherapy notes are released only under the client's own authorisation for "
            "them, never under another authorisation or a legal basis.",
            "psychotherapy notes without their own authorisation",
        )
    if legal_basis is not None:
        if legal_basis.client_id != client.pk:
            return ("basis", "This legal basis is for another client.", "basis of another client")
        return None
    if authorisation is None:
        return ("basis", "Choose a basis.", "no basis")
    if authorisation.client_id != client.pk:
        return ("basis", "This authorisation is another client's.", "authorisation of another")
    if authorisation.signed_at is None:
        return ("basis", "This authorisation is not signed.", "authorisation unsigned")
    if authorisation.revoked_at is not None:
        return ("basis", "This authorisation was revoked.", "authorisation revoked")
    if authorisation.expires_on < clock.now().astimezone(dt.UTC).date():
        return ("basis", "This authorisation has expired.", "authorisation expired")
    if not chosen <= set(authorisation.category_list()):
        return (
            "categories",
            "The authorisation does not cover every category chosen.",
            "category not authorised",
        )
    if records_from < authorisation.records_from or records_to > authorisation.records_to:
        return (
            "records_from",
            f"The authorisation covers records from {authorisation.records_from} to "
            f"{authorisation.records_to} only.",
            "date range not authorised",
        )
    return None


def _refuse(
    *, actor: Caller, target: str, reason: str, purpose: Purpose, request: HttpRequest | None
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target=target,
            outcome=Outcome.DENIED,
            reason=reason,
            purpose=purpose.value,
            request=request,
        )


def disclosure_make(
    *,
    actor: Actor,
    client: Client,
    categories: Sequence[str],
    records_from: dt.date,
    records_to: dt.date,
    authorisation: Authorisation | None = None,
    legal_basis: LegalBasis | None = None,
    recipient: Recipient | None = None,
    request: HttpRequest | None = None,
) -> IssuedDisclosure:
    """Release records to a recipient under a current authorisation or a legal basis.

    Returns the disclosure and its link's secret, to show once. A refusal
    (``DisclosureRefused``) is audited before it is raised, outside the
    write, so it stays in the trail.
    """
    purpose = _purpose(actor, LEGAL if legal_basis is not None else CARE)
    resource = disclosure_resource(client)
    allow(actor, Action.CREATE, resource, request, "disclose this client's records", purpose)
    ordered = [c for c in CATEGORY_LABELS if c in set(categories)] + [
        c for c in categories if c not in CATEGORY_LABELS
    ]
    refused = _refusal(
        client=client,
        authorisation=authorisation,
        legal_basis=legal_basis,
        categories=ordered,
        records_from=records_from,
        records_to=records_to,
    )
    if refused is None and legal_basis is not None:
        try:
            recipient = Recipient(
                name=_words(
                    recipient.name if recipient else "",
                    field="recipient_name",
                    what="the recipient's name",
                ),
                organisation=_words(
                    recipient.organisation if recipient else "",
                    field="recipient_organisation",
                    what="the organisation",
                    minimum=0,
                ),
                address=_words(
                    recipient.address if recipient else "",
                    field="recipient_address",
                    what="the recipient's address or e-mail",
                ),
            )
        except ValidationError:
            refused = ("recipient_name", "Enter the recipient's name and address.", "no recipient")
    if refused is not None:
        field, message, why = refused
        _refuse(
            actor=actor, target=resource.reference, reason=why, purpose=purpose, request=request
        )
        raise DisclosureRefused({field: message}, code="refused")
    issued = token_issue()
    with transaction.atomic():
        if authorisation is not None:
            # Revoked between the check and now: refused too, audited after the rollback.
            locked = lock_rows(Authorisation.objects.all()).get(pk=authorisation.pk)
            if locked.revoked_at is None:
                recipient = Recipient(
                    name=str(locked.recipient_name),
                    organisation=str(locked.recipient_organisation),
                    address=str(locked.recipient_address),
                )
                purpose_text = str(locked.purpose)
            else:
                recipient = None
        else:
            purpose_text = (
                f"{legal_basis.get_kind_display()}: {legal_basis.reason}" if legal_basis else ""
            )
        if recipient is not None:
            now = clock.now()
            disclosure = Disclosure(
                client=client,
                authorisation=authorisation,
                legal_basis=legal_basis,
                categories=",".join(ordered),
                records_from=records_from,
                records_to=records_to,
                made_by=person(actor) if not _is_system(actor) else client_therapist(client),
                made_at=now,
            )
            disclosure.recipient_name = recipient.name
            disclosure.recipient_organisation = recipient.organisation
            disclosure.recipient_address = recipient.address
            disclosure.purpose = purpose_text
            # Fixed now: what leaves is what was disclosed, whatever the
            # record says on the day the recipient downloads it.
            disclosure.package = base64.b64encode(
                as_zip(package_build(disclosure, generated=now))
            ).decode("ascii")
            disclosure.save(force_insert=True)
            DisclosureLink.objects.create(
                disclosure=disclosure,
                prefix=issued.prefix,
                mac=issued.mac,
                created_at=now,
                expires_at=now + dt.timedelta(days=LINK_DAYS),
            )
            basis = (
                f"authorisation:{authorisation.pk}"
                if authorisation is not None
                else f"legal_basis:{legal_basis.pk if legal_basis else ''}"
            )
            audit_record(
                actor=actor,
                event=EventType.DISCLOSURE_MADE,
                target=f"client:{client.pk}/disclosure:{disclosure.pk}",
                purpose=purpose.value,
                reason=(
                    f"categories {disclosure.categories}; {records_from}..{records_to}; "
                    f"under {basis}"
                ),
                request=request,
            )
            return IssuedDisclosure(disclosure=disclosure, raw=issued.raw)
    _refuse(
        actor=actor,
        target=resource.reference,
        reason="authorisation revoked",
        purpose=purpose,
        request=request,
    )
    raise DisclosureRefused({"basis": "This authorisation was revoked."}, code="refused")


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes


def package_download(*, raw: str, request: HttpRequest | None = None) -> Download | None:
    """Give the recipient the package once, within its days; None (audited) for anything else.

    A used, expired or unknown link, and a link whose authorisation was
    revoked or expired since, all answer None: the caller shows "not found"
    for each, so a guesser learns nothing.
    """
    actor: Caller = getattr(request, "user", None) or AnonymousUser()
    found = link_for(raw)
    if found is None:
        prefix = raw.partition("_")[0][:16] if raw else ""
        _refuse(
            actor=actor,
            target=f"disclosure_link:{prefix or 'malformed'}",
            reason="unknown link",
            purpose=LEGAL,
            request=request,
        )
        return None
    with transaction.atomic():
        link = (
            lock_rows(DisclosureLink.objects.all())
            .select_related(
                "disclosure",
                "disclosure__client",
                "disclosure__client__organisation",
                "disclosure__authorisation",
            )
            .get(pk=found.pk)
        )
        now = clock.now()
        disclosure = link.disclosure
        authorisation = disclosure.authorisation
        why = ""
        if link.used_at is not None:
            why = "link already used"
        elif link.expires_at <= now:
            why = "link expired"
        elif authorisation is not None and authorisation.revoked_at is not None:
            why = "authorisation revoked"
        elif authorisation is not None and authorisation.expires_on < now.date():
            why = "authorisation expired"
        if why:
            audit_record(
                actor=actor,
                event=EventType.ACCESS_DENIED,
                target=f"disclosure_link:{link.prefix}",
                outcome=Outcome.DENIED,
                reason=why,
                purpose=LEGAL.value,
                request=request,
            )
            return None
        link.used_at = now
        link.save(update_fields=["used_at"])
        audit_record(
            actor=actor,
            event=EventType.DISCLOSURE_DOWNLOADED,
            target=f"client:{disclosure.client_id}/disclosure:{disclosure.pk}",
            purpose=LEGAL.value,
            reason=f"disclosure_link:{link.prefix}",
            request=request,
        )
        kept = disclosure.package
        content = (
            base64.b64decode(kept)
            if isinstance(kept, str) and kept
            else as_zip(package_build(disclosure, generated=now))
        )
    return Download(filename=f"release-{disclosure.made_at:%Y%m%d}.zip", content=content)
