"""Writes of consent documents (issue 19): publish a version, ask a client to sign, sign, withdraw.

Who does what, and why:

- The practice's privacy officer publishes versions (the kind
  ``CONSENT_CONFIG``, as for the wellbeing face's notices): consent texts
  are the practice's legal promises, not one therapist's.
- A therapist working with the client asks them to sign a version, and may
  record a signature typed by the client in the office (the client's
  clinical record, ``CLIENT_RECORD``). The front desk and billing do not:
  asking for consent to treatment is part of treatment.
- The client signs and withdraws in the portal; the portal decides that
  (its own page, ``PORTAL``) and calls ``document_signature_complete`` and
  ``document_signature_mark_withdrawn`` here.

The digest is the SHA-256 of exactly the text shown (``document_text``):
the version's title, a blank line, its body. Versions are never changed,
so a signature's digest always matches the version it names. A pending
request for an older version may still be signed (it is what the client
was shown); the staff see it as outdated, and only the latest version
counts for the telehealth requirement.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.models import User
from wellkept.accounts.throttle import client_ip
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.practice.documents_defaults import DEFAULTS
from wellkept.practice.models import (
    WITHDRAWABLE,
    Client,
    ClientAssignment,
    ConsentDocumentSignature,
    ConsentDocumentVersion,
    DocumentKind,
)
from wellkept.practice.models.documents import DOCUMENT_TITLE_MAX
from wellkept.practice.scopes import client_record_resource

CARE = Purpose.CLINICAL_CARE
PUBLISHING = Purpose.LEGAL_OBLIGATION
BODY_MAX = 20_000
SIGNED_NAME_MAX = 200


def document_text(version: ConsentDocumentVersion) -> str:
    """The exact text a client is shown and signs: title, a blank line, body."""
    return f"{version.title}\n\n{version.body}"


def text_digest(title: str, body: str) -> str:
    """The SHA-256 (hex) of the text made of ``title`` and ``body``."""
    return hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def templates_resource(organisation: Organisation) -> Resource:
    """The practice's consent document templates: its privacy officer's to publish."""
    return Resource(
        kind=ResourceKind.CONSENT_CONFIG,
        reference=f"consent-documents:{organisation.pk}",
        organisation_id=organisation.pk,
    )


def latest_version(organisation: Organisation, kind: str) -> ConsentDocumentVersion | None:
    """The practice's newest version of ``kind``, or None before any is published."""
    return (
        ConsentDocumentVersion.objects.filter(organisation=organisation, kind=kind)
        .order_by("-number")
        .first()
    )


def _publish(
    *, organisation: Organisation, kind: str, title: str, body: str, by: User | None
) -> ConsentDocumentVersion:
    lock_rows(Organisation.objects.filter(pk=organisation.pk)).exists()
    last = ConsentDocumentVersion.objects.filter(organisation=organisation, kind=kind).aggregate(
        n=Max("number")
    )["n"]
    return ConsentDocumentVersion.objects.create(
        organisation=organisation,
        kind=kind,
        number=(last or 0) + 1,
        title=title,
        body=body,
        digest=text_digest(title, body),
        published_at=clock.now(),
        published_by=by,
    )


def document_version_publish(
    *,
    actor: Actor,
    organisation: Organisation,
    kind: str,
    title: str,
    body: str,
    request: HttpRequest | None = None,
) -> ConsentDocumentVersion:
    """Publish a new version of one of the practice's consent documents; audited."""
    if not can(actor, Action.CREATE, templates_resource(organisation), PUBLISHING, request=request):
        raise PermissionDenied("Only the practice's privacy officer publishes consent documents.")
    title = " ".join(title.split())
    body = body.replace("\r\n", "\n").strip() + "\n"
    errors = {}
    if kind not in DocumentKind.values:
        errors["kind"] = "Choose which document this is."
    if not title:
        errors["title"] = "Give the document a title."
    elif len(title) > DOCUMENT_TITLE_MAX:
        errors["title"] = f"Keep the title under {DOCUMENT_TITLE_MAX} characters."
    if not body.strip():
        errors["body"] = "Write the document's text."
    elif len(body) > BODY_MAX:
        errors["body"] = f"Keep the text under {BODY_MAX} characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        version = _publish(
            organisation=organisation, kind=kind, title=title, body=body, by=person(actor)
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_DOCUMENT_PUBLISHED,
            target=f"consent-document:{version.pk}",
            purpose=PUBLISHING.value,
            reason=f"{kind} version {version.number}",
            request=request,
        )
    return version


def _works_with(actor: Actor, client: Client) -> None:
    if not ClientAssignment.objects.filter(
        client=client, therapist=person(actor), until__isnull=True
    ).exists():
        raise PermissionDenied("Only a therapist working with this client asks for a signature.")


def _allow_therapist(actor: Actor, client: Client, request: HttpRequest | None) -> None:
    if not can(actor, Action.UPDATE, client_record_resource(client), CARE, request=request):
        raise PermissionDenied("You may not ask this client for a signature.")
    _works_with(actor, client)


def document_request(
    *,
    actor: Actor,
    client: Client,
    kind: str,
    request: HttpRequest | None = None,
) -> ConsentDocumentSignature:
    """Ask the client to sign the latest version of ``kind`` (publishing the default if none)."""
    _allow_therapist(actor, client, request)
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Choose which document the client is to sign."})
    with transaction.atomic():
        lock_rows(Client.objects.filter(pk=client.pk)).exists()
        version = latest_version(client.organisation, kind)
        if version is None:
            # A new practice is not blank: the shipped text becomes version 1.
            title, body = DEFAULTS[kind]
            version = _publish(
                organisation=client.organisation, kind=kind, title=title, body=body, by=None
            )
            audit_record(
                actor=actor,
                event=EventType.PRACTICE_DOCUMENT_PUBLISHED,
                target=f"consent-document:{version.pk}",
                purpose=CARE.value,
                reason=f"{kind} version 1, the default text",
                request=request,
            )
        if ConsentDocumentSignature.objects.filter(
            client=client, version=version, signed_at__isnull=True
        ).exists():
            raise ValidationError("The client has already been asked to sign this version.")
        asked = ConsentDocumentSignature.objects.create(
            client=client, version=version, requested_at=clock.now(), requested_by=person(actor)
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_DOCUMENT_REQUESTED,
            target=f"client:{client.pk}/consent-document:{asked.pk}",
            purpose=CARE.value,
            reason=f"{kind} version {version.number}",
            request=request,
        )
    return asked


def _normalised(name: str) -> str:
    return " ".join(name.split()).casefold()


def checked_signature(typed_name: str, legal_name: object, *, agreed: bool) -> str:
    """The typed name, tidied, if it is the legal name on record and the box is ticked."""
    typed = " ".join(typed_name.split())
    errors = {}
    if not typed:
        errors["typed_name"] = "Type your full legal name to sign."
    elif len(typed) > SIGNED_NAME_MAX:
        errors["typed_name"] = f"Keep the name under {SIGNED_NAME_MAX} characters."
    elif not isinstance(legal_name, str) or _normalised(typed) != _normalised(legal_name):
        errors["typed_name"] = (
            "The name typed is not the legal name in the practice's record. Type your full "
            "legal name as the practice has it, or ask the practice to correct the record."
        )
    if not agreed:
        errors["agreed"] = "Tick the box to say you have read the document and agree to it."
    if errors:
        raise ValidationError(errors)
    return typed


def document_signature_complete(
    *,
    actor: Actor,
    signature: ConsentDocumentSignature,
    typed_name: str,
    agreed: bool,
    in_office: bool,
    request: HttpRequest | None = None,
) -> ConsentDocumentSignature:
    """Sign a pending request with the client's typed legal name; the caller has decided.

    Called by ``document_sign_in_office`` here and by the portal, after the
    portal's own decision on the client's page.
    """
    typed = checked_signature(typed_name, signature.client.legal_name, agreed=agreed)
    with transaction.atomic():
        locked = lock_rows(
            ConsentDocumentSignature.objects.select_related("version", "client")
        ).get(pk=signature.pk)
        if locked.signed_at is not None:
            raise ValidationError("This document is already signed.")
        locked.signed_at = clock.now()
        locked.digest = hashlib.sha256(document_text(locked.version).encode()).hexdigest()
        locked.typed_name = typed
        locked.ip_address = client_ip(request) if request is not None else ""
        locked.recorded_by = person(actor) if in_office else None
        locked.save(
            update_fields=["signed_at", "digest", "typed_name", "ip_address", "recorded_by"]
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_DOCUMENT_SIGNED,
            target=f"client:{locked.client_id}/consent-document:{locked.pk}",
            purpose=(CARE if in_office else Purpose.SELF_SERVICE).value,
            reason=f"{locked.version.kind} version {locked.version.number}"
            + (", in the office" if in_office else ", in the portal"),
            request=request,
        )
    return locked


def document_sign_in_office(
    *,
    actor: Actor,
    signature: ConsentDocumentSignature,
    typed_name: str,
    agreed: bool,
    request: HttpRequest | None = None,
) -> ConsentDocumentSignature:
    """Record the client's signature typed on the therapist's device, in the office."""
    _allow_therapist(actor, signature.client, request)
    return document_signature_complete(
        actor=actor,
        signature=signature,
        typed_name=typed_name,
        agreed=agreed,
        in_office=True,
        request=request,
    )


def document_signature_mark_withdrawn(
    *,
    actor: Actor,
    signature: ConsentDocumentSignature,
    request: HttpRequest | None = None,
) -> ConsentDocumentSignature:
    """Record the client's withdrawal of a signed document; the caller has decided."""
    if signature.version.kind not in WITHDRAWABLE:
        raise ValidationError(
            "This document cannot be withdrawn here; please talk to your therapist."
        )
    with transaction.atomic():
        locked = lock_rows(ConsentDocumentSignature.objects.all()).get(pk=signature.pk)
        if locked.signed_at is None or locked.withdrawn_at is not None:
            raise ValidationError("There is no signature of this document to withdraw.")
        locked.withdrawn_at = clock.now()
        locked.save(update_fields=["withdrawn_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_DOCUMENT_WITHDRAWN,
            target=f"client:{locked.client_id}/consent-document:{locked.pk}",
            purpose=Purpose.SELF_SERVICE.value,
            request=request,
        )
    return locked


def document_receipt_record(
    *,
    actor: Actor,
    signature: ConsentDocumentSignature,
    purpose: Purpose,
    request: HttpRequest | None = None,
) -> None:
    """Record that a signature's receipt was downloaded; the caller has decided."""
    audit_record(
        actor=actor,
        event=EventType.PRACTICE_DOCUMENT_RECEIPT,
        target=f"client:{signature.client_id}/consent-document:{signature.pk}",
        purpose=purpose.value,
        request=request,
    )


def signed_current_telehealth(client: Client) -> bool:
    """Whether the client signed, and kept, the latest version of the telehealth document."""
    version = latest_version(client.organisation, DocumentKind.TELEHEALTH)
    return (
        version is not None
        and ConsentDocumentSignature.objects.filter(
            client=client, version=version, signed_at__isnull=False, withdrawn_at__isnull=True
        ).exists()
    )
