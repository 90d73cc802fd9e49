"""Billing's PDFs: the superbill, and the invoice.

The superbill is a PDF a client sends their insurer to claim back what they paid.

It carries what an insurer needs and nothing more: the practice, the
client's name, date of birth and insurance member id, each session's date,
service (CPT) code and fee, and the diagnosis (ICD-10-CM) codes of the
signed notes of those dates. Never a word of a note. The client's details
are decrypted only here, at render, for a reader the policy has admitted.
"""

from __future__ import annotations

import datetime as dt

from wellkept.practice.models import Charge, Client, Invoice
from wellkept.practice.services.billing import format_money

WIDTHS = (40, 40, 40)


def _latin1(text: str) -> str:
    # The core PDF fonts cover Latin-1 only; anything else becomes "?".
    return text.replace("\u2019", "'").encode("latin-1", "replace").decode("latin-1")


def _text(value: object) -> str:
    # An erased field reads as a marker object, never as the old value.
    return value if isinstance(value, str) else ""


def as_pdf(
    *,
    client: Client,
    start: dt.date,
    end: dt.date,
    sessions: list[Charge],
    diagnosis_codes: list[str],
    compress: bool = True,
) -> bytes:
    """Return the superbill as an A4 PDF (core Helvetica font)."""
    # Imported here: fpdf loads numpy, which no page but an export needs.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    # Tests turn compression off to search the bytes for what must not be there.
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()

    def line(text: str, size: int = 10, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line("Superbill", 16, bold=True)
    line(f"Provider: {client.organisation.name}")
    line(f"Dates of service: {start.isoformat()} to {end.isoformat()}")
    pdf.ln(3)
    line("Client", 11, bold=True)
    line(f"Name: {_text(client.legal_name)}")
    line(f"Date of birth: {_text(client.date_of_birth)}")
    line(f"Insurer: {_text(client.insurance_payer)}")
    line(f"Member id: {_text(client.insurance_member_id)}")
    pdf.ln(3)
    line("Diagnosis codes (ICD-10-CM)", 11, bold=True)
    line(", ".join(diagnosis_codes) or "None recorded in signed notes for these dates.")
    pdf.ln(3)
    line("Services", 11, bold=True)
    pdf.set_font("Helvetica", "B", 9)
    for width, title in zip(WIDTHS, ("Date of service", "Service (CPT)", "Fee"), strict=True):
        pdf.cell(width, 6, title, border=1)
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    total = 0
    currency = ""
    for charge in sessions:
        total += charge.amount
        currency = charge.currency
        values = (
            charge.service_date.isoformat(),
            _text(charge.service_code),
            format_money(charge.amount, charge.currency),
        )
        for width, value in zip(WIDTHS, values, strict=True):
            pdf.cell(width, 6, _latin1(value), border=1)
        pdf.ln(6)
    pdf.ln(2)
    line(f"Total charged: {format_money(total, currency) if sessions else 'nothing'}", bold=True)
    return bytes(pdf.output())


def invoice_as_pdf(*, invoice: Invoice, lines: list[Charge], compress: bool = True) -> bytes:
    """Return an invoice as an A4 PDF: the practice, the client's name, the lines, the total."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()

    def line(text: str, size: int = 10, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    client = invoice.client
    line(f"Invoice {invoice.number}", 16, bold=True)
    line(f"From: {invoice.organisation.name}")
    line(f"To: {_text(client.legal_name)} ({client.code})")
    line(f"Issued: {invoice.issued_at.date().isoformat()}")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 9)
    for width, title in zip(WIDTHS, ("Date", "Line", "Amount"), strict=True):
        pdf.cell(width, 6, title, border=1)
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    for charge in lines:
        code = _text(charge.service_code)
        if charge.reason:
            what = charge.get_reason_display()
        else:
            what = f"Session {code}" if code else "Late cancellation"
        values = (
            charge.service_date.isoformat(),
            what,
            format_money(charge.amount, charge.currency),
        )
        for width, value in zip(WIDTHS, values, strict=True):
            pdf.cell(width, 6, _latin1(value)[:40], border=1)
        pdf.ln(6)
    pdf.ln(2)
    line(f"Total: {format_money(invoice.total, invoice.currency)}", bold=True)
    return bytes(pdf.output())
