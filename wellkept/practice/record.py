"""A client's record as released items and FHIR documents, for every way it leaves the practice.

Two apps above ``practice`` send a client's record out: release of
information (``disclosures.package``, to a recipient, by category and date
range) and the client's own download in the portal (right of access). Both
gather the items and build the FHIR document here, so what "a progress
note" or "a measure" looks like outside is decided once.

Psychotherapy notes are never gathered here: they leave only through
``practice.selectors.notes.pnotes_released_under_authorisation``, which the
release of information calls for its own separate authorisation alone.

``RECORD_COLLECTING`` lets the apps above add their own sections to a
client's download (the accounting of disclosures, messages) without this
layer, or the portal, importing them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from wellkept.hooks import Hook
from wellkept.practice.models import (
    Appointment,
    Client,
    MeasureResult,
    NoteStatus,
    PlanStatus,
    ProgressNote,
    TreatmentPlan,
)

# The categories of a record as items; the values are release of
# information's category values, so an authorisation's list reads here.
DEMOGRAPHICS = "demographics"
APPOINTMENTS = "appointments"
DIAGNOSES = "diagnoses"
PROGRESS_NOTES = "progress_notes"
TREATMENT_PLAN = "treatment_plan"
MEASURES = "measures"
ITEM_CATEGORIES = (APPOINTMENTS, DIAGNOSES, PROGRESS_NOTES, TREATMENT_PLAN, MEASURES)


def text_of(value: object) -> str:
    # An erased field reads as a marker object, never as the old value.
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class Item:
    """One released item: its category, day, a title and its text."""

    category: str
    day: dt.date
    title: str
    text: str
    code: str = ""
    value: int | None = None


def demographics_of(client: Client) -> dict[str, str]:
    """The client's details as labelled text (empty where erased or unset)."""
    return {
        "Legal name": text_of(client.legal_name),
        "Preferred name": text_of(client.preferred_name),
        "Pronouns": text_of(client.pronouns),
        "Date of birth": text_of(client.date_of_birth),
        "E-mail": text_of(client.email),
        "Phone": text_of(client.phone),
    }


def _outline(value: Any, depth: int = 0) -> list[str]:
    """A treatment plan's JSON outline as indented lines of text."""
    pad = "  " * depth
    if isinstance(value, dict):
        lines = []
        for key, inner in value.items():
            if isinstance(inner, dict | list):
                lines.append(f"{pad}{key}:")
                lines.extend(_outline(inner, depth + 1))
            else:
                lines.append(f"{pad}{key}: {inner}")
        return lines
    if isinstance(value, list):
        return [line for inner in value for line in _outline(inner, depth)]
    return [f"{pad}{value}"]


def _loads(value: object) -> Any:
    try:
        return json.loads(text_of(value) or "null")
    except ValueError:
        return None


def record_items(
    client: Client,
    chosen: set[str],
    *,
    records_from: dt.date | None = None,
    records_to: dt.date | None = None,
) -> list[Item]:
    """The client's items of the ``chosen`` categories within the range (None: unbounded).

    Never a psychotherapy note, whatever is asked: those are not a
    category here. Drafts (notes, plans) are not yet part of the record.
    """

    def in_range(day: dt.date) -> bool:
        return (records_from is None or records_from <= day) and (
            records_to is None or day <= records_to
        )

    items: list[Item] = []
    if APPOINTMENTS in chosen:
        for a in Appointment.objects.filter(client=client).order_by("start"):
            day = a.start.astimezone(dt.UTC).date()
            if in_range(day):
                items.append(
                    Item(
                        APPOINTMENTS,
                        day,
                        f"Appointment {a.start:%Y-%m-%d %H:%M} UTC",
                        f"{a.get_status_display()}"
                        + (" (video)" if a.telehealth else "")
                        + f", until {a.end:%H:%M} UTC",
                        code=a.status,
                    )
                )
    notes = [
        n
        for n in ProgressNote.objects.filter(client=client)
        .exclude(status=NoteStatus.DRAFT)
        .order_by("service_date", "created_at")
        if in_range(n.service_date)
    ]
    if DIAGNOSES in chosen:
        seen: set[str] = set()
        for n in notes:
            for code in (c.strip() for c in text_of(n.diagnosis_codes).split(",")):
                if code and code not in seen:
                    seen.add(code)
                    items.append(
                        Item(DIAGNOSES, n.service_date, f"Diagnosis {code}", "", code=code)
                    )
    if PROGRESS_NOTES in chosen:
        for n in notes:
            sections = _loads(n.sections)
            body = (
                "\n".join(f"{k}: {v}" for k, v in sections.items())
                if isinstance(sections, dict)
                else ""
            )
            items.append(
                Item(PROGRESS_NOTES, n.service_date, f"Progress note {n.service_date}", body)
            )
    if TREATMENT_PLAN in chosen:
        plans = TreatmentPlan.objects.filter(client=client).exclude(status=PlanStatus.DRAFT)
        for plan in plans.order_by("version"):
            day = (plan.signed_at or plan.created_at).astimezone(dt.UTC).date()
            if in_range(day):
                body = "\n".join(_outline(_loads(plan.content)))
                items.append(
                    Item(
                        TREATMENT_PLAN,
                        day,
                        f"Treatment plan, version {plan.version} ({plan.get_status_display()})",
                        body,
                    )
                )
    if MEASURES in chosen:
        for m in MeasureResult.objects.filter(client=client).order_by("administered_on"):
            if in_range(m.administered_on):
                result = _loads(m.result)
                total = result.get("total") if isinstance(result, dict) else None
                band = result.get("band", "") if isinstance(result, dict) else ""
                items.append(
                    Item(
                        MEASURES,
                        m.administered_on,
                        f"{m.instrument_key} on {m.administered_on}",
                        f"Total {total if total is not None else 'not scored'}"
                        + (f", {band}" if band else ""),
                        code=m.instrument_key,
                        value=total if isinstance(total, int) else None,
                    )
                )
    return items


# ---- FHIR -----------------------------------------------------------------------------

LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# LOINC document and section codes for the composition.
DOCUMENT_CODE = ("34133-9", "Summary of episode note")
APPOINTMENT_STATUS = {
    "booked": "booked",
    "attended": "fulfilled",
    "late_cancelled": "cancelled",
    "no_show": "noshow",
    "cancelled": "cancelled",
}


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _item_resource(
    item: Item, index: int, patient: str, r5: bool, seed: uuid.UUID
) -> dict[str, Any]:
    rid = str(uuid.uuid5(seed, f"item-{index}"))
    subject = {"reference": patient}
    if item.category == APPOINTMENTS:
        return {
            "resourceType": "Appointment",
            "id": rid,
            "status": APPOINTMENT_STATUS.get(item.code, "booked"),
            "description": item.title,
            "participant": [{"actor": subject, "status": "accepted"}],
            **({"subject": subject} if r5 else {}),
        }
    if item.category == DIAGNOSES:
        return {
            "resourceType": "Condition",
            "id": rid,
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "active",
                    }
                ]
            },
            "code": {"coding": [{"system": ICD10CM, "code": item.code}], "text": item.code},
            "subject": subject,
            "recordedDate": item.day.isoformat(),
        }
    if item.category == MEASURES and item.value is not None:
        return {
            "resourceType": "Observation",
            "id": rid,
            "status": "final",
            "code": {"text": item.code},
            "subject": subject,
            "effectiveDateTime": item.day.isoformat(),
            "valueInteger": item.value,
        }
    text = f"{item.title}\n{item.text}".strip()
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "description": item.title,
        "subject": subject,
        "date": f"{item.day.isoformat()}T00:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "title": item.title,
                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                }
            }
        ],
    }


@dataclass
class Document:
    """What a FHIR document holds: who it is about, its sections in order, its items."""

    seed: uuid.UUID
    title: str
    author: str
    generated: dt.datetime
    # (category, label) in the order the composition lists them.
    sections: list[tuple[str, str]]
    demographics: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


def as_fhir_document(document: Document, *, release: str) -> dict[str, Any]:
    """Return the document as a FHIR document Bundle, ``release`` "R5" or "R4B", validated."""
    # Imported here: the FHIR models are slow to import, and only downloads need them.
    from fhir.resources.bundle import Bundle as BundleR5
    from fhir.resources.R4B.bundle import Bundle as BundleR4B

    r5 = release == "R5"
    seed = document.seed
    patient_id = str(uuid.uuid5(seed, "patient"))
    patient_ref = f"urn:uuid:{patient_id}"
    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_id}
    demo = document.demographics
    if demo.get("Legal name"):
        patient["name"] = [{"use": "official", "text": demo["Legal name"]}]
        if demo.get("Preferred name"):
            patient["name"].append({"use": "usual", "text": demo["Preferred name"]})
    if demo.get("Date of birth"):
        patient["birthDate"] = demo["Date of birth"]
    telecom = [
        {"system": system, "value": demo[key]}
        for system, key in (("email", "E-mail"), ("phone", "Phone"))
        if demo.get(key)
    ]
    if telecom:
        patient["telecom"] = telecom
    resources = [
        _item_resource(item, i, patient_ref, r5, seed) for i, item in enumerate(document.items)
    ]
    sections = []
    for category, label in document.sections:
        refs = (
            [{"reference": patient_ref}]
            if category == DEMOGRAPHICS
            else [
                {"reference": f"urn:uuid:{r['id']}"}
                for r, item in zip(resources, document.items, strict=True)
                if item.category == category
            ]
        )
        section: dict[str, Any] = {"title": label}
        if refs:
            section["entry"] = refs
        else:
            section["emptyReason"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason",
                        "code": "nilknown",
                    }
                ]
            }
        sections.append(section)
    composition_id = str(uuid.uuid5(seed, "composition"))
    when = document.generated.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": composition_id,
        "status": "final",
        "type": {
            "coding": [{"system": LOINC, "code": DOCUMENT_CODE[0], "display": DOCUMENT_CODE[1]}]
        },
        "subject": [{"reference": patient_ref}] if r5 else {"reference": patient_ref},
        "date": when,
        "author": [{"display": document.author}],
        "title": document.title,
        "section": sections,
    }
    bundle = {
        "resourceType": "Bundle",
        # Restricted: the whole document is confidential health information.
        "meta": {
            "security": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                    "code": "R",
                }
            ]
        },
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{seed}"},
        "type": "document",
        "timestamp": when,
        "entry": [_entry(composition), _entry(patient), *(_entry(r) for r in resources)],
    }
    model = BundleR5 if r5 else BundleR4B
    return model.model_validate(bundle).model_dump(mode="json", exclude_none=True)


# ---- Sections the apps above add to a client's own download --------------------------------


@dataclass(frozen=True)
class RecordSection:
    """A titled table an app above adds to a client's record: columns and rows of text."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class RecordCollecting:
    """A client's record is being gathered for them: receivers append their sections."""

    client: Client
    sections: list[RecordSection]


RECORD_COLLECTING: Hook[RecordCollecting] = Hook("practice.record_collecting", RecordCollecting)


def extra_sections(client: Client) -> list[RecordSection]:
    """The sections the apps above add for the client (the caller decided)."""
    collecting = RecordCollecting(client=client, sections=[])
    RECORD_COLLECTING.emit(collecting)
    return collecting.sections
