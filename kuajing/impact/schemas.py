from pydantic import BaseModel, Field

from kuajing.kit.money_schemas import MoneyModel


class StateJobsOut(BaseModel):
    state: str
    export_sales: MoneyModel
    jobs_supported: float


class JobsReportOut(BaseModel):
    export_sales: MoneyModel
    jobs_per_billion_usd: int
    ratio_year: int
    jobs_supported: float = Field(description="Rounded to four decimals.")
    by_state: list[StateJobsOut]
    sellers: int = Field(description="Sellers with at least one paid order.")
    seller_reported_employees: int
    method: str
    source: str
