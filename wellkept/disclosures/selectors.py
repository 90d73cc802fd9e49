"""Reads of release of information: the page's client, its authorisations, the accounting.

``accounting_for(client)`` is the list the client's portal will show
(issue 19, portal part): every disclosure, when, to whom, what, why and
on what basis. It reads no policy itself: its callers decide first
(``get_client_for`` here, the portal's own accessor there).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.tokens import token_matches, token_prefix
from wellkept.actors import Caller
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.disclosures.models import (
    CATEGORY_LABELS,
    Authorisation,
    Disclosure,
    DisclosureLink,
    LegalBasis,
    categories_of,
)
from wellkept.disclosures.scopes import disclosure_resource, practice_disclosures_resource
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Client
from wellkept.practice.record import RecordCollecting, RecordSection


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def get_client_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    purpose: Purpose,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> Client:
    """The practice's client whose release of information the actor may ``action``, or 404.

    Missing and forbidden answer alike, each with one audit entry.
    """
    chosen = action or declared_action(ResourceKind.DISCLOSURE, Action.READ)
    client = (
        Client.objects.filter(organisation=organisation, pk=pk)
        .select_related("organisation")
        .first()
    )
    if client is None:
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target=f"client:{pk}/disclosures",
            outcome=Outcome.DENIED,
            reason="not found",
            purpose=purpose.value,
            request=request,
        )
        raise Http404
    if not can(actor, chosen, disclosure_resource(client), purpose, request=request):
        raise Http404
    return client


def practice_accounting_allowed(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> bool:
    """Whether the actor may read every client's accounting at the practice (audited)."""
    return can(
        actor,
        Action.READ,
        practice_disclosures_resource(organisation),
        Purpose.AUDIT_OVERSIGHT,
        request=request,
    )


def authorisations_of(client: Client) -> list[Authorisation]:
    """The client's authorisations, newest first (for a client already read)."""
    return list(Authorisation.objects.filter(client=client).order_by("-created_at"))


def current_authorisations(client: Client) -> list[Authorisation]:
    """The authorisations a disclosure may rest on today: signed, not revoked, not expired."""
    return [a for a in authorisations_of(client) if a.is_current()]


def legal_bases_of(client: Client) -> list[LegalBasis]:
    return list(LegalBasis.objects.filter(client=client).order_by("-recorded_at"))


def authorisation_of(client: Client, pk: Any) -> Authorisation:
    """One of the client's authorisations (for a client already read), or 404."""
    found = Authorisation.objects.filter(client=client, pk=pk).select_related("client").first()
    if found is None:
        raise Http404
    return found


def legal_basis_of(client: Client, pk: Any) -> LegalBasis:
    found = LegalBasis.objects.filter(client=client, pk=pk).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class AccountingLine:
    """One disclosure as the accounting shows it: never what was released, only what kind."""

    disclosure_id: Any
    client_id: Any
    client_code: str
    made_at: dt.datetime
    recipient: str
    what: str
    records_from: dt.date
    records_to: dt.date
    purpose: str
    basis: str
    downloaded_at: dt.datetime | None


def _line(d: Disclosure) -> AccountingLine:
    link = getattr(d, "link", None)
    recipient = _text(d.recipient_name)
    if _text(d.recipient_organisation):
        recipient += f", {_text(d.recipient_organisation)}"
    if d.authorisation is not None:
        basis = f"Client's authorisation signed {d.authorisation.signed_at:%Y-%m-%d}"
    elif d.legal_basis is not None:
        basis = f"{d.legal_basis.get_kind_display()} ({_text(d.legal_basis.reference)})"
    else:
        basis = ""
    return AccountingLine(
        disclosure_id=d.pk,
        client_id=d.client_id,
        client_code=d.client.code,
        made_at=d.made_at,
        recipient=recipient,
        what=", ".join(CATEGORY_LABELS.get(c, c) for c in categories_of(d.categories)),
        records_from=d.records_from,
        records_to=d.records_to,
        purpose=_text(d.purpose),
        basis=basis,
        downloaded_at=link.used_at if link is not None else None,
    )


def _lines(rows: Any) -> list[AccountingLine]:
    return [
        _line(d)
        for d in rows.select_related("client", "authorisation", "legal_basis", "link").order_by(
            "-made_at"
        )
    ]


def accounting_for(client: Client) -> list[AccountingLine]:
    """Every disclosure of the client's information, newest first (the client's accounting)."""
    return _lines(Disclosure.objects.filter(client=client))


def practice_accounting(organisation: Organisation) -> list[AccountingLine]:
    """Every disclosure at the practice, newest first (the privacy officer's oversight)."""
    return _lines(Disclosure.objects.filter(client__organisation=organisation))


def link_for(raw: str) -> DisclosureLink | None:
    """The link whose secret is ``raw``, or None; used or expired links are found (and refused)."""
    prefix = token_prefix(raw)
    if prefix is None:
        return None
    link = DisclosureLink.objects.filter(prefix=prefix).first()
    # The MAC is compared even when a row is found: only the full secret counts.
    if link is None or not token_matches(raw, link.mac):
        return None
    return link


def today() -> dt.date:
    return clock.now().astimezone(dt.UTC).date()


# ---- The client's own view (through practice.record's hook) -------------------------------

ACCOUNTING_SECTION = "disclosures"
AUTHORISATIONS_SECTION = "authorisations"


def authorisation_status(authorisation: Authorisation) -> str:
    """Current, revoked or expired, in words for the client."""
    if authorisation.revoked_at is not None:
        return "Revoked"
    return "Current" if authorisation.is_current() else "Expired"


def record_sections(collecting: RecordCollecting) -> None:
    """Add the client's accounting of disclosures and their authorisations to their record.

    Connected to ``practice.record.RECORD_COLLECTING``: the portal shows and
    exports these without importing this app. What was released is named by
    category only; its content is never part of the accounting.
    """
    client = collecting.client
    collecting.sections.append(
        RecordSection(
            key=ACCOUNTING_SECTION,
            title="Accounting of disclosures",
            columns=("Date", "Recipient", "Purpose", "What", "Records", "Under"),
            rows=[
                (
                    f"{line.made_at:%Y-%m-%d}",
                    line.recipient,
                    line.purpose,
                    line.what,
                    f"{line.records_from.isoformat()} to {line.records_to.isoformat()}",
                    line.basis,
                )
                for line in accounting_for(client)
            ],
        )
    )
    collecting.sections.append(
        RecordSection(
            key=AUTHORISATIONS_SECTION,
            title="Authorisations you signed",
            columns=("Signed", "Recipient", "Purpose", "What", "Expires", "Status"),
            rows=[
                (
                    f"{a.signed_at:%Y-%m-%d}",
                    ", ".join(
                        t for t in (_text(a.recipient_name), _text(a.recipient_organisation)) if t
                    ),
                    _text(a.purpose),
                    a.what(),
                    a.expires_on.isoformat(),
                    authorisation_status(a),
                )
                for a in authorisations_of(client)
            ],
        )
    )
