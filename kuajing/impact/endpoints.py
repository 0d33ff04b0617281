from fastapi import APIRouter

from kuajing.auth.dependencies import OperatorPrincipal
from kuajing.impact import service
from kuajing.impact.schemas import JobsReportOut, StateJobsOut
from kuajing.kit.money_schemas import MoneyModel
from kuajing.runtime import SessionDep

router = APIRouter(tags=["impact"])


@router.get("/impact/jobs", response_model=JobsReportOut)
async def jobs(operator: OperatorPrincipal, session: SessionDep) -> JobsReportOut:
    report = await service.jobs_report(session)
    return JobsReportOut(
        export_sales=MoneyModel.usd(report.export_sales),
        jobs_per_billion_usd=report.jobs_per_billion_usd,
        ratio_year=report.ratio_year,
        jobs_supported=float(report.jobs_supported),
        by_state=[
            StateJobsOut(
                state=s.state,
                export_sales=MoneyModel.usd(s.export_sales),
                jobs_supported=float(s.jobs_supported),
            )
            for s in report.by_state
        ],
        sellers=report.sellers,
        seller_reported_employees=report.seller_reported_employees,
        method=service.METHOD,
        source=report.source,
    )
