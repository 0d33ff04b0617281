"""US jobs supported by export sales, by the ITA ratio. Pure."""

from decimal import ROUND_HALF_UP, Decimal

BILLION_CENTS = Decimal(100_000_000_000)  # US$1 bn in cents


def jobs_supported(export_sales_cents: int, jobs_per_billion_usd: int) -> Decimal:
    """Export sales ÷ US$1 bn × jobs per US$1 bn, to four decimals."""
    jobs = Decimal(export_sales_cents) / BILLION_CENTS * jobs_per_billion_usd
    return jobs.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
