"""A payout statement as a PDF a seller can file or hand to their accountant: the same lines
and total as the page and the CSV, drawn with fpdf2's built-in Helvetica (no font files, no
network)."""

from fpdf import FPDF

from kuajing.kit.time import BEIJING
from kuajing.ledger.payouts import Statement

_COLUMNS = (
    ("Order", 18, "L"),
    ("Delivered (Beijing)", 34, "L"),
    ("Goods", 22, "R"),
    ("Shipping", 20, "R"),
    ("Commission", 24, "R"),
    ("Refunded", 22, "R"),
    ("Paid before", 24, "R"),
    ("This payout", 26, "R"),
)


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def _latin1(text: str) -> str:
    """Helvetica draws Latin-1 only: anything else shows as '?' rather than failing."""
    return text.encode("latin-1", "replace").decode("latin-1")


def statement_pdf(found: Statement, *, platform: str = "kuajing") -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    # a page of text: left uncompressed, so its figures can be read (and checked) in the file
    pdf.set_compression(False)
    pdf.set_title(f"{platform} payout {found.payout_id}")
    pdf.set_creator(platform)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, _latin1(f"{platform} payout statement #{found.payout_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    paid_at = found.created_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    pdf.cell(0, 6, _latin1(f"{found.seller_name} (seller #{found.seller_id})"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        6,
        f"Batch #{found.batch_id}, paid {paid_at} Beijing time, in US dollars",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 9)
    for title, width, align in _COLUMNS:
        pdf.cell(width, 7, title, border="B", align=align)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for line in found.lines:
        delivered = line.delivered_at.astimezone(BEIJING).strftime("%Y-%m-%d") if line.delivered_at else ""
        cells = (
            f"#{line.order_id}",
            delivered,
            _dollars(line.goods_usd),
            _dollars(line.freight_usd),
            _dollars(-line.commission_usd),
            _dollars(-line.refunded_usd) if line.refunded_usd else "",
            _dollars(-line.paid_before_usd) if line.paid_before_usd else "",
            _dollars(line.amount_usd),
        )
        for (_title, width, align), text in zip(_COLUMNS, cells, strict=True):
            pdf.cell(width, 6, text, align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(width for _t, width, _a in _COLUMNS[:-1]), 8, "Total", border="T")
    pdf.cell(_COLUMNS[-1][1], 8, _dollars(found.total_usd), border="T", align="R")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(
        0,
        4,
        "Each order is paid at its own exchange rate: your US dollar prices and shipping fee, less the "
        "platform's commission on the goods, less refunds. Orders become payable 30 days after delivery.",
    )
    return bytes(pdf.output())
