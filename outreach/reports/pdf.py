"""A partner report as an A4 PDF, made with fpdf2 (pure Python).

The text is set in Atkinson Hyperlegible from its font package, embedded in the file, so
Polish, Portuguese and French letters print and nothing depends on the machine's fonts.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from outreach.reports.partner import Report, generated_label
from outreach.reports.partner_tables import HOW, Table, tables

FAMILY = "Atkinson"
INK = (27, 27, 27)
HEADINGS = FontFace(emphasis="BOLD", fill_color=(232, 238, 246))


def _font_files() -> dict[str, str]:
    import fontpkg_atkinson_hyperlegible as fonts

    folder = fonts.ROOT / "files"
    return {"": str(folder / "AtkinsonHyperlegible-Regular.ttf"),
            "B": str(folder / "AtkinsonHyperlegible-Bold.ttf")}


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")


def as_pdf(report: Report, scope_note: str, *, compress: bool = True) -> bytes:
    """The report as the bytes of a PDF file: title, month, what it covers, then each table."""
    pdf = _Document(format="A4")
    pdf.compress = compress
    pdf.set_title(f"Partner report: {report.organisation.name}, {report.month.label}")
    pdf.set_creator("Outreach & Check-in Toolkit")
    for style, path in _font_files().items():
        pdf.add_font(FAMILY, style, path)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_text_color(*INK)
    _line(pdf, f"Partner report: {report.organisation.name}", 16, bold=True)
    _line(pdf, report.month.label + (" (so far)" if report.partial else ""), 13, bold=True)
    _line(pdf, scope_note, 10)
    _line(pdf, f"Made {generated_label(report)}.", 10)
    for table in tables(report):
        _table(pdf, table, report)
    pdf.ln(2)
    _line(pdf, "How the figures are worked out", 11, bold=True)
    _line(pdf, HOW, 9)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, size: float, *, bold: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _table(pdf: FPDF, table: Table, report: Report) -> None:
    pdf.ln(3)
    _line(pdf, table.title, 12, bold=True)
    if not table.rows:
        _line(pdf, "None this month.", 10)
        return
    if table.key == "outcomes" and report.outcomes_left_out:
        _line(pdf, f"The first {len(report.outcomes)} of {report.headline.resolved} are "
                   "listed.", 9)
    widths = (2, 3, 2, 3, 6) if table.key == "outcomes" else (4, *([2] * (len(table.header) - 1)))
    aligns = tuple("LEFT" if i < table.numeric_from else "RIGHT"
                   for i in range(len(table.header)))
    pdf.set_font(FAMILY, "", 9)
    with pdf.table(col_widths=widths, text_align=aligns, headings_style=HEADINGS,
                   line_height=5) as grid:
        for values in [table.header, *table.rows]:
            row = grid.row()
            for value in values:
                row.cell("" if value is None else str(value))
