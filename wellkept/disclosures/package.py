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

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

from wellkept.disclosures.models import (
    CATEGORY_LABELS,
    PSYCHOTHERAPY_NOTES,
    Category,
    Disclosure,
)
from wellkept.practice.record import (
    Document,
    Item,
    as_fhir_document,
    demographics_of,
    record_items,
)
from wellkept.practice.record import text_of as _text
from wellkept.practice.selectors.notes import pnotes_released_under_authorisation


@dataclass
class Package:
    disclosure: Disclosure
    generated: dt.datetime
    demographics: dict[str, str] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


def package_build(disclosure: Disclosure, *, generated: dt.datetime) -> Package:
    """Gather what the disclosure releases, category by category, within its date range."""
    client = disclosure.client
    chosen = set(disclosure.category_list())
    package = Package(disclosure=disclosure, generated=generated)
    if Category.DEMOGRAPHICS in chosen:
        package.demographics = demographics_of(client)
    # The ordinary categories are gathered as the client's own download
    # gathers them (practice.record); psychotherapy notes are not among them.
    package.items = record_items(
        client, chosen, records_from=disclosure.records_from, records_to=disclosure.records_to
    )
    if PSYCHOTHERAPY_NOTES in chosen:
        own = pnotes_released_under_authorisation(client=client, author_id=disclosure.made_by_id)
        for written_at, text in own:
            day = written_at.astimezone(dt.UTC).date()
            if disclosure.records_from <= day <= disclosure.records_to:
                package.items.append(
                    Item(PSYCHOTHERAPY_NOTES, day, f"Psychotherapy note {day}", text)
                )
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


def as_fhir(package: Package, *, release: str) -> dict[str, Any]:
    """Return the package as a FHIR document Bundle, ``release`` "R5" or "R4B", validated."""
    d = package.disclosure
    document = Document(
        seed=d.pk,
        title="Release of information",
        author=d.client.organisation.name,
        generated=package.generated,
        sections=[(c, CATEGORY_LABELS[c]) for c in d.category_list()],
        demographics=package.demographics,
        items=package.items,
    )
    return as_fhir_document(document, release=release)


def as_zip(package: Package) -> bytes:
    """The PDF and both FHIR documents in one archive, for one single-use download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("disclosure.pdf", as_pdf(package))
        for release in ("R5", "R4B"):
            document = as_fhir(package, release=release)
            archive.writestr(f"bundle-{release.lower()}.json", json.dumps(document, indent=2))
    return buffer.getvalue()
