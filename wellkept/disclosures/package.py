"""The package a recipient downloads: what was released, as a PDF and FHIR documents.

Built when the recipient downloads it, from the categories and date range
the disclosure names, so nothing of the released content is stored twice.
One ZIP holds ``disclosure.pdf``, ``bundle-r5.json`` and ``bundle-r4b.json``:
a FHIR Bundle of type ``document`` with the Composition first, the Patient
with the details released, and one resource per released item.

Psychotherapy notes join only for the category of that name, which only
their own authorisation carries (the service refuses anything else), and
only the notes the disclosing therapist wrote: another therapist's process
notes are out of reach even to the client's own therapist.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from wellkept.disclosures.models import (
    CATEGORY_LABELS,
    PSYCHOTHERAPY_NOTES,
    Category,
    Disclosure,
)
from wellkept.practice.models import (
    Appointment,
    MeasureResult,
    NoteStatus,
    PlanStatus,
    ProgressNote,
    TreatmentPlan,
)
from wellkept.practice.selectors.notes import pnotes_released_under_authorisation


def _text(value: object) -> str:
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


@dataclass
class Package:
    disclosure: Disclosure
    generated: dt.datetime
    demographics: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


def _in_range(disclosure: Disclosure, day: dt.date) -> bool:
    return disclosure.records_from <= day <= disclosure.records_to


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
        return json.loads(_text(value) or "null")
    except ValueError:
        return None


def package_build(disclosure: Disclosure, *, generated: dt.datetime) -> Package:
    """Gather what the disclosure releases, category by category, within its date range."""
    client = disclosure.client
    chosen = set(disclosure.category_list())
    package = Package(disclosure=disclosure, generated=generated)
    if Category.DEMOGRAPHICS in chosen:
        package.demographics = {
            "Legal name": _text(client.legal_name),
            "Preferred name": _text(client.preferred_name),
            "Pronouns": _text(client.pronouns),
            "Date of birth": _text(client.date_of_birth),
            "E-mail": _text(client.email),
            "Phone": _text(client.phone),
        }
    items = package.items
    if Category.APPOINTMENTS in chosen:
        for a in Appointment.objects.filter(client=client).order_by("start"):
            day = a.start.astimezone(dt.UTC).date()
            if _in_range(disclosure, day):
                items.append(
                    Item(
                        Category.APPOINTMENTS,
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
        if _in_range(disclosure, n.service_date)
    ]
    if Category.DIAGNOSES in chosen:
        seen: set[str] = set()
        for n in notes:
            for code in (c.strip() for c in _text(n.diagnosis_codes).split(",")):
                if code and code not in seen:
                    seen.add(code)
                    items.append(
                        Item(Category.DIAGNOSES, n.service_date, f"Diagnosis {code}", "", code=code)
                    )
    if Category.PROGRESS_NOTES in chosen:
        for n in notes:
            sections = _loads(n.sections)
            body = (
                "\n".join(f"{k}: {v}" for k, v in sections.items())
                if isinstance(sections, dict)
                else ""
            )
            items.append(
                Item(
                    Category.PROGRESS_NOTES, n.service_date, f"Progress note {n.service_date}", body
                )
            )
    if Category.TREATMENT_PLAN in chosen:
        plans = TreatmentPlan.objects.filter(client=client).exclude(status=PlanStatus.DRAFT)
        for plan in plans.order_by("version"):
            day = (plan.signed_at or plan.created_at).astimezone(dt.UTC).date()
            if _in_range(disclosure, day):
                body = "\n".join(_outline(_loads(plan.content)))
                items.append(
                    Item(
                        Category.TREATMENT_PLAN,
                        day,
                        f"Treatment plan, version {plan.version} ({plan.get_status_display()})",
                        body,
                    )
                )
    if Category.MEASURES in chosen:
        for m in MeasureResult.objects.filter(client=client).order_by("administered_on"):
            if _in_range(disclosure, m.administered_on):
                result = _loads(m.result)
                total = result.get("total") if isinstance(result, dict) else None
                band = result.get("band", "") if isinstance(result, dict) else ""
                items.append(
                    Item(
                        Category.MEASURES,
                        m.administered_on,
                        f"{m.instrument_key} on {m.administered_on}",
                        f"Total {total if total is not None else 'not scored'}"
                        + (f", {band}" if band else ""),
                        code=m.instrument_key,
                        value=total if isinstance(total, int) else None,
                    )
                )
    if PSYCHOTHERAPY_NOTES in chosen:
        own = pnotes_released_under_authorisation(client=client, author_id=disclosure.made_by_id)
        for written_at, text in own:
            day = written_at.astimezone(dt.UTC).date()
            if _in_range(disclosure, day):
                items.append(Item(PSYCHOTHERAPY_NOTES, day, f"Psychotherapy note {day}", text))
    return package


# ---- PDF ------------------------------------------------------------------------------


def _latin1(text: str) -> str:
    # The core PDF fonts cover Latin-1 only; anything else becomes "?".
    return text.replace("\u2019", "'").encode("latin-1", "replace").decode("latin-1")


def as_pdf(package: Package, *, compress: bool = True) -> bytes:
    """Return the package as an A4 PDF (core Helvetica font)."""
    # Imported here: fpdf loads numpy, which no page but a download needs.
    from fpdf import FPDF

    d = package.disclosure
    pdf = FPDF(format="A4")
    # Tests turn compression off to read the bytes.
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()

    def line(text: str, size: int = 10, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line("Release of information", 16, bold=True)
    line(f"From: {d.client.organisation.name}")
    line(f"To: {_text(d.recipient_name)}, {_text(d.recipient_organisation)}".rstrip(", "))
    line(f"Purpose: {_text(d.purpose)}")
    line(f"Records from {d.records_from.isoformat()} to {d.records_to.isoformat()}")
    line(f"Released on {d.made_at:%Y-%m-%d}; generated {package.generated:%Y-%m-%d %H:%M} UTC")
    line(
        "Released under: "
        + ("the client's signed authorisation" if d.authorisation_id else "a legal basis")
    )
    line("Categories: " + ", ".join(CATEGORY_LABELS[c] for c in d.category_list()))
    line(
        "Confidential. Re-disclosure may be prohibited by law: use this information only for "
        "the purpose stated.",
        9,
    )
    if package.demographics:
        pdf.ln(3)
        line("Demographics", 12, bold=True)
        for label, value in package.demographics.items():
            if value:
                line(f"{label}: {value}")
    for category in d.category_list():
        if category == Category.DEMOGRAPHICS:
            continue
        pdf.ln(3)
        line(CATEGORY_LABELS[category], 12, bold=True)
        mine = [i for i in package.items if i.category == category]
        if not mine:
            line("Nothing recorded in this date range.")
        for item in mine:
            line(item.title, bold=True)
            if item.text:
                line(item.text)
    return bytes(pdf.output())


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


def _item_resource(item: Item, index: int, patient: str, r5: bool, d: Disclosure) -> dict[str, Any]:
    rid = str(uuid.uuid5(d.pk, f"item-{index}"))
    subject = {"reference": patient}
    if item.category == Category.APPOINTMENTS:
        return {
            "resourceType": "Appointment",
            "id": rid,
            "status": APPOINTMENT_STATUS.get(item.code, "booked"),
            "description": item.title,
            "participant": [{"actor": subject, "status": "accepted"}],
            **({"subject": subject} if r5 else {}),
        }
    if item.category == Category.DIAGNOSES:
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
    if item.category == Category.MEASURES and item.value is not None:
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


def as_fhir(package: Package, *, release: str) -> dict[str, Any]:
    """Return the package as a FHIR document Bundle, ``release`` "R5" or "R4B", validated."""
    # Imported here: the FHIR models are slow to import, and only downloads need them.
    from fhir.resources.bundle import Bundle as BundleR5
    from fhir.resources.R4B.bundle import Bundle as BundleR4B

    r5 = release == "R5"
    d = package.disclosure
    patient_id = str(uuid.uuid5(d.pk, "patient"))
    patient_ref = f"urn:uuid:{patient_id}"
    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_id}
    demo = package.demographics
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
        _item_resource(item, i, patient_ref, r5, d) for i, item in enumerate(package.items)
    ]
    sections = []
    for category in d.category_list():
        refs = (
            [{"reference": patient_ref}]
            if category == Category.DEMOGRAPHICS
            else [
                {"reference": f"urn:uuid:{r['id']}"}
                for r, item in zip(resources, package.items, strict=True)
                if item.category == category
            ]
        )
        section: dict[str, Any] = {"title": CATEGORY_LABELS[category]}
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
    composition_id = str(uuid.uuid5(d.pk, "composition"))
    when = package.generated.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": composition_id,
        "status": "final",
        "type": {
            "coding": [{"system": LOINC, "code": DOCUMENT_CODE[0], "display": DOCUMENT_CODE[1]}]
        },
        "subject": [{"reference": patient_ref}] if r5 else {"reference": patient_ref},
        "date": when,
        "author": [{"display": d.client.organisation.name}],
        "title": "Release of information",
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
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{d.pk}"},
        "type": "document",
        "timestamp": when,
        "entry": [_entry(composition), _entry(patient), *(_entry(r) for r in resources)],
    }
    model = BundleR5 if r5 else BundleR4B
    return model.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def as_zip(package: Package) -> bytes:
    """The PDF and both FHIR documents in one archive, for one single-use download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("disclosure.pdf", as_pdf(package))
        for release in ("R5", "R4B"):
            document = as_fhir(package, release=release)
            archive.writestr(f"bundle-{release.lower()}.json", json.dumps(document, indent=2))
    return buffer.getvalue()
