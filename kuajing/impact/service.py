"""The jobs report: what the platform's US export sales are worth to US employment."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.rules import packaged_rows
from kuajing.errors import Conflict
from kuajing.impact import repository
from kuajing.impact.jobs import jobs_supported
from kuajing.order.status import PAID

METHOD = (
    "Export sales are the US-dollar goods value of orders that buyers have paid for and kept (paid, shipped, "
    "delivered, or with a return asked for or refused; a returned and refunded order does not count), at the "
    "sellers' listed prices, excluding freight and Chinese import taxes. Jobs supported = "
    "export sales ÷ US$1 billion × the International Trade Administration's jobs-per-billion ratio for the "
    "latest year on file. The ratio is a national average across all exports, so this is an estimate of "
    "jobs supported, not a count of jobs created."
)


@dataclass(frozen=True, slots=True)
class StateLine:
    state: str
    export_sales: int
    jobs_supported: Decimal


@dataclass(frozen=True, slots=True)
class JobsReport:
    export_sales: int
    jobs_per_billion_usd: int
    ratio_year: int
    jobs_supported: Decimal
    by_state: list[StateLine]
    sellers: int
    seller_reported_employees: int
    source: str


async def sync_packaged_ratios(session: AsyncSession) -> int:
    return await repository.insert_missing_ratios(session, packaged_rows("kuajing.impact", "jobs_ratios.csv"))


async def jobs_report(session: AsyncSession) -> JobsReport:
    ratio = await repository.latest_ratio(session)
    if ratio is None:
        raise Conflict("jobs_ratio_missing", "No jobs ratio is loaded; run `kuajing db upgrade`.")
    rows = await repository.export_sales_by_seller(session, statuses=[s.value for s in PAID])
    by_state: dict[str, int] = defaultdict(int)
    for state, _seller, _employees, cents in rows:
        by_state[state] += cents
    total = sum(by_state.values())
    return JobsReport(
        export_sales=total,
        jobs_per_billion_usd=ratio.jobs_per_billion_usd,
        ratio_year=ratio.data_year,
        jobs_supported=jobs_supported(total, ratio.jobs_per_billion_usd),
        by_state=[
            StateLine(state, cents, jobs_supported(cents, ratio.jobs_per_billion_usd))
            for state, cents in sorted(by_state.items(), key=lambda item: (-item[1], item[0]))
        ],
        sellers=len(rows),
        seller_reported_employees=sum(employees for _s, _id, employees, _c in rows),
        source=f"{ratio.source} ({ratio.data_year} exports, published {ratio.published})",
    )
