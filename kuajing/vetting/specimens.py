"""Specimen documents: a one-page PDF that says which document it stands in for, for the demo
marketplace and the load rehearsal, whose made-up sellers are vetted as real ones are. Never a
real seller's: an operator reading one sees at once that it is a specimen."""

from datetime import UTC, datetime

from fpdf import FPDF

_DATED = datetime(2026, 1, 1, tzinfo=UTC)


def specimen(kind: str, legal_name: str) -> bytes:
    """A PDF page: "SPECIMEN", the document kind and the business it is made up for."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(_DATED)  # the same specimen, the same bytes (and digest)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 14, "SPECIMEN - not a real document", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 13)
    pdf.cell(0, 9, f"Document: {kind}", new_x="LMARGIN", new_y="NEXT")
    name = legal_name.encode("latin-1", "replace").decode("latin-1")
    pdf.cell(0, 9, f"For: {name} (a made-up business)", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
