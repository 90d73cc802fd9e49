"""Reads of consent documents (issue 19): a client's documents and their states, the templates."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.actors import Caller
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    WITHDRAWABLE,
    Client,
    ConsentDocumentSignature,
    ConsentDocumentVersion,
    DocumentKind,
)
from wellkept.practice.scopes import client_record_resource

PURPOSE = Purpose.CLINICAL_CARE


class DocumentState(StrEnum):
    PENDING = "pending"
    SIGNED = "signed"
    WITHDRAWN = "withdrawn"
    OUTDATED = "outdated"


STATE_LABELS = {
    DocumentState.PENDING: "Waiting for the client's signature",
    DocumentState.SIGNED: "Signed",
    DocumentState.WITHDRAWN: "Withdrawn",
    DocumentState.OUTDATED: "Signed, but a newer version exists",
}


@dataclass(frozen=True)
class DocumentRow:
    signature: ConsentDocumentSignature
    state: DocumentState
    newer: bool

    @property
    def label(self) -> str:
        if self.state == DocumentState.PENDING and self.newer:
            return "Waiting for the client's signature (a newer version exists)"
        return STATE_LABELS[self.state]

    @property
    def withdrawable(self) -> bool:
        return self.state == DocumentState.SIGNED and self.signature.version.kind in WITHDRAWABLE


def _latest_numbers(organisation_id: Any) -> dict[str, int]:
    latest: dict[str, int] = {}
    for kind, number in ConsentDocumentVersion.objects.filter(
        organisation_id=organisation_id
    ).values_list("kind", "number"):
        latest[kind] = max(latest.get(kind, 0), number)
    return latest


def document_rows(client: Client) -> list[DocumentRow]:
    """The client's requests and signatures with their states (for a client already read)."""
    latest = _latest_numbers(client.organisation_id)
    rows = []
    for signature in ConsentDocumentSignature.objects.filter(client=client).select_related(
        "version"
    ):
        newer = signature.version.number < latest.get(signature.version.kind, 0)
        if signature.signed_at is None:
            state = DocumentState.PENDING
        elif signature.withdrawn_at is not None:
            state = DocumentState.WITHDRAWN
        elif newer:
            state = DocumentState.OUTDATED
        else:
            state = DocumentState.SIGNED
        rows.append(DocumentRow(signature=signature, state=state, newer=newer))
    return rows


def signature_of(client: Client, pk: Any) -> ConsentDocumentSignature | None:
    """The client's request or signature ``pk``, or None (another client's answers None too)."""
    try:
        return (
            ConsentDocumentSignature.objects.select_related("version", "client")
            .filter(client=client, pk=pk)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        return None


def get_signature_for(
    *,
    actor: Caller,
    client: Client,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action = Action.READ,
) -> ConsentDocumentSignature:
    """One of the client's document signatures for staff on the client's record, or 404."""
    if not can(actor, action, client_record_resource(client), PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    signature = signature_of(client, pk)
    if signature is None:
        raise signature_refused(
            actor, f"client:{client.pk}/documents/{pk}", request, "no such form"
        )
    return signature


def signature_refused(actor: Caller, target: str, request: HttpRequest | None, why: str) -> Http404:
    """Audit a form that is not there for this action (missing, signed, not signed); its 404."""
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=target,
        outcome=Outcome.DENIED,
        reason=why,
        request=request,
    )
    return Http404(NOT_FOUND_MESSAGE)


@dataclass(frozen=True)
class KindVersions:
    kind: str
    label: str
    versions: list[ConsentDocumentVersion]


def versions_by_kind(organisation: Organisation) -> list[KindVersions]:
    """Every kind with its published versions, newest first (the caller decided)."""
    by_kind: dict[str, list[ConsentDocumentVersion]] = {k: [] for k in DocumentKind.values}
    for version in ConsentDocumentVersion.objects.filter(organisation=organisation).order_by(
        "kind", "-number"
    ):
        by_kind[version.kind].append(version)
    return [
        KindVersions(kind=k, label=str(DocumentKind(k).label), versions=v)
        for k, v in by_kind.items()
    ]
