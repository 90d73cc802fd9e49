"""Reads for the client's own record: what the right of access gives them, as JSON and FHIR.

Everything the law gives a client (HIPAA's designated record set, GDPR
article 15) that this service holds about them: their details,
appointments, diagnoses, progress notes, treatment plans, measure results,
invoices, signed consents, and the sections the apps above the practice
add through ``practice.record.RECORD_COLLECTING`` (the accounting of
disclosures and the authorisations the client signed; the client's
messages), plus who accessed the record. Psychotherapy notes are not part of
it: the law excludes them, and nothing here can reach them (they leave only
through ``pnotes_released_under_authorisation``, which this module never
calls). Every function here is a read for a client the caller has decided.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from wellkept import clock
from wellkept.portal import selectors
from wellkept.practice.models import (
    Charge,
    Client,
    ConsentDocumentSignature,
    Invoice,
    TelehealthConsent,
)
from wellkept.practice.record import (
    APPOINTMENTS,
    DEMOGRAPHICS,
    DIAGNOSES,
    ITEM_CATEGORIES,
    MEASURES,
    PROGRESS_NOTES,
    TREATMENT_PLAN,
    Document,
    RecordSection,
    as_fhir_document,
    demographics_of,
    extra_sections,
    record_items,
    text_of,
)
from wellkept.practice.services import format_money

# The sections of the download, in order, as the page and the FHIR
# composition name them.
SECTION_LABELS: dict[str, str] = {
    DEMOGRAPHICS: "Your details",
    APPOINTMENTS: "Appointments",
    DIAGNOSES: "Diagnoses",
    PROGRESS_NOTES: "Progress notes",
    TREATMENT_PLAN: "Treatment plans",
    MEASURES: "Questionnaire results",
}
FORMAT_VERSION = 1


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _invoices(client: Client) -> list[dict[str, Any]]:
    shown = []
    for invoice in Invoice.objects.filter(client=client).order_by("issued_at"):
        lines = Charge.objects.filter(invoice=invoice).order_by("service_date", "created_at")
        shown.append(
            {
                "number": invoice.number,
                "issued": _iso(invoice.issued_at),
                "total": format_money(invoice.total, invoice.currency),
                "lines": [
                    {
                        "date": _iso(c.service_date),
                        "service_code": text_of(c.service_code),
                        "kind": c.get_kind_display(),
                        "amount": format_money(c.amount, c.currency),
                    }
                    for c in lines
                ],
            }
        )
    return shown


def _consents(client: Client) -> list[dict[str, Any]]:
    return [
        {
            "what": "Telehealth consent",
            "version": c.version,
            "signed": _iso(c.signed_at),
            "text_sha256": c.digest,
            "withdrawn": _iso(c.withdrawn_at),
        }
        for c in TelehealthConsent.objects.filter(client=client).order_by("signed_at")
    ] + [
        {
            "what": s.version.title,
            "version": s.version.number,
            "signed": _iso(s.signed_at),
            "text_sha256": s.digest,
            "withdrawn": _iso(s.withdrawn_at),
        }
        for s in ConsentDocumentSignature.objects.filter(client=client, signed_at__isnull=False)
        .select_related("version")
        .order_by("signed_at")
    ]


def _section(section: RecordSection) -> dict[str, Any]:
    return {
        "title": section.title,
        "rows": [dict(zip(section.columns, row, strict=True)) for row in section.rows],
    }


def record_as_json(client: Client, *, own_user_id: Any) -> dict[str, Any]:
    """The client's whole record as one JSON document (never a psychotherapy note)."""
    items = record_items(client, set(ITEM_CATEGORIES))
    document: dict[str, Any] = {
        "format": f"wellkept-client-record/{FORMAT_VERSION}",
        "generated": _iso(clock.now()),
        "practice": client.organisation.name,
        "client_code": client.code,
        "excluded": [
            "Psychotherapy notes (kept apart from the record; excluded from the right of "
            "access by law)"
        ],
        "details": demographics_of(client),
    }
    for category in ITEM_CATEGORIES:
        document[category] = [
            {
                "date": _iso(i.day),
                "title": i.title,
                "text": i.text,
                **({"code": i.code} if i.code else {}),
                **({"value": i.value} if i.value is not None else {}),
            }
            for i in items
            if i.category == category
        ]
    document["invoices"] = _invoices(client)
    document["consents"] = _consents(client)
    for section in extra_sections(client):
        document[section.key] = _section(section)
    document["access_log"] = [
        {
            "when": _iso(e.when),
            "who": e.who,
            "role": e.role,
            "what": e.what,
            **({"outcome": e.outcome} if e.outcome else {}),
        }
        for e in selectors.access_log(client, own_user_id=own_user_id)
    ]
    return document


def record_as_fhir(client: Client) -> dict[str, Any]:
    """The client's clinical record as a FHIR R5 document Bundle (never a psychotherapy note)."""
    now = clock.now()
    # A new document each time: its id says which download it was.
    document = Document(
        seed=uuid.uuid5(client.pk, f"record-{now.isoformat()}"),
        title="Your record",
        author=client.organisation.name,
        generated=now,
        sections=list(SECTION_LABELS.items()),
        demographics=demographics_of(client),
        items=record_items(client, set(ITEM_CATEGORIES)),
    )
    return as_fhir_document(document, release="R5")


def sections_for(client: Client, keys: tuple[str, ...]) -> list[RecordSection]:
    """The sections the apps above add for the client, those named by ``keys``, in that order."""
    found = {s.key: s for s in extra_sections(client)}
    return [found[k] for k in keys if k in found]
