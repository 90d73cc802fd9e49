"""The figures on a dashboard as CSV and PDF: the same released figures, nothing more.

Both formats are written from one list of rows built from the dashboard the
viewer was shown, so an export can never carry a figure the screen hid: a
hidden cell is exported as the word "hidden" with its reason, never a count.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from wellkept.insights.disclosure import Figure
from wellkept.insights.selectors import Dashboard, Row

HEADER = (
    "Section",
    "Group",
    "Period",
    "People",
    "Responses",
    "Mean",
    "Mean 95% low",
    "Mean 95% high",
    "Participation %",
    "Note",
)


@dataclass(frozen=True)
class Line:
    section: str
    group: str
    period: str
    figure: Figure
    participation: float | None = None


def _number(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def cells(line: Line, k: int) -> list[str]:
    """One exported row: figures if shown, otherwise "hidden" and why."""
    f = line.figure
    if not f.shown:
        return [line.section, line.group, line.period, "hidden", "hidden", "", "", "", "",
                f.reason(k)]  # fmt: skip
    note = "Includes differential-privacy noise." if f.noisy else ""
    return [
        line.section,
        line.group,
        line.period,
        _number(f.people),
        _number(f.responses),
        _number(f.mean),
        _number(f.mean_low) if f.noisy else "",
        _number(f.mean_high) if f.noisy else "",
        _number(line.participation, 0),
        note,
    ]


def lines(dashboard: Dashboard) -> list[Line]:
    """Every figure on the dashboard, in the order the page shows them."""
    found: list[Line] = []
    name = "Filtered group"
    for point in dashboard.trend:
        found.append(Line("Trend", "Whole organisation", point.label, point.overall))
        if _filtered(dashboard):
            found.append(Line("Trend", name, point.label, point.figure))
    latest = dashboard.latest.label if dashboard.latest else ""

    def rows(section: str, items: list[Row]) -> None:
        for row in items:
            found.append(Line(section, row.label, latest, row.figure, row.participation))

    if dashboard.participation is not None:
        rows("Participation", [dashboard.participation])
    rows("By unit", dashboard.by_unit)
    rows("By shift type", dashboard.by_shift)
    rows("By role", dashboard.by_role)
    return found


def _filtered(dashboard: Dashboard) -> bool:
    q = dashboard.query
    return q.unit is not None or q.shift is not None or q.role is not None


def bands(dashboard: Dashboard) -> list[tuple[str, str]]:
    return [(label, str(count or 0)) for _, label, count in dashboard.bands]


def title(dashboard: Dashboard) -> str:
    q = dashboard.query
    return (
        f"{dashboard.organisation.name}: {dashboard.instrument.short_title} "
        f"by {q.grain.label.lower()}, last {q.count}"
    )


def as_csv(dashboard: Dashboard) -> bytes:
    """Return the dashboard's figures as UTF-8 CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title(dashboard)])
    writer.writerow([_k_note(dashboard)])
    writer.writerow(HEADER)
    for line in lines(dashboard):
        writer.writerow(_safe(cells(line, dashboard.k)))
    if dashboard.bands:
        writer.writerow([])
        writer.writerow(["Severity band", "Answers (each answer counts once)"])
        for label, count in bands(dashboard):
            writer.writerow(_safe([label, count]))
    return out.getvalue().encode("utf-8")


def _safe(values: list[str]) -> list[str]:
    # A label starting with = + - @ would run as a formula in a spreadsheet.
    return ["'" + v if v[:1] in ("=", "+", "-", "@") else v for v in values]


def _k_note(dashboard: Dashboard) -> str:
    note = (
        f"Groups of fewer than {dashboard.k} people are hidden, and so are groups that "
        "would let a hidden one be worked out by subtraction."
    )
    if dashboard.dp:
        note += " Figures include differential-privacy noise; the 95% interval is given."
    return note


def _latin1(text: str) -> str:
    # The core PDF fonts cover Latin-1 only; anything else becomes "?".
    return (
        text.replace("\u2019", "'")
        .replace("\u2013", "-")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


PDF_WIDTHS = (22, 52, 32, 16, 20, 16, 20, 20, 22, 57)


def as_pdf(dashboard: Dashboard) -> bytes:
    """Return the dashboard's figures as a landscape A4 PDF (core Helvetica font)."""
    # Imported here: fpdf loads numpy, which no page but this export needs.
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin1(title(dashboard)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, _latin1(_k_note(dashboard)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    def row(values: list[str], bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 7)
        for width, value in zip(PDF_WIDTHS, values, strict=True):
            pdf.cell(width, 5, _latin1(value)[:60], border=1)
        pdf.ln(5)

    row(list(HEADER), bold=True)
    for line in lines(dashboard):
        values = cells(line, dashboard.k)
        # The reason is long; the PDF cell holds a short form of it.
        values[-1] = values[-1][:58]
        row(values)
    if dashboard.bands:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 9)
        label = dashboard.latest.label if dashboard.latest else ""
        pdf.cell(
            0,
            6,
            _latin1(f"Answers per severity band, {label} (each answer counts once)"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", "", 8)
        for band, count in bands(dashboard):
            pdf.cell(60, 5, _latin1(band), border=1)
            pdf.cell(20, 5, count, border=1, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
