"""The operator console (English first): the USD→CNY rate and the jobs report. Operators sign in
on /login like everyone; only the operator role sees these pages."""

import csv
import io
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.db import SessionDep
from kuajing.errors import KuajingError
from kuajing.impact import service as impact_service
from kuajing.models import Role
from kuajing.pricing import service as pricing_service
from kuajing.web.session import check_csrf, login_path, viewer
from kuajing.web.templates import render

router = APIRouter(prefix="/console", include_in_schema=False)
PAIR = "USD-CNY"


async def _operator(request: Request, session: AsyncSession) -> Principal | Response:
    principal = await viewer(request, session)
    if principal is None:
        return RedirectResponse(login_path(request), status_code=303)
    if principal.role != Role.operator:
        return render(
            request, "error.html", {"status": 403, "code": "forbidden"}, status=403, default_locale="en"
        )
    return principal


async def _fx_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    typed: str = "",
    error: str | None = None,
) -> Response:
    try:
        history = await pricing_service.fx_history(session, pair=PAIR, limit=20)
    except KuajingError:
        history = []  # no rate set yet
    context = {"history": history, "viewer": principal, "typed": typed, "error": error}
    status = 200 if error is None else 422
    return render(request, "console/fx.html", context, status=status, default_locale="en")


@router.get("/fx", response_class=HTMLResponse)
async def fx(request: Request, session: SessionDep) -> Response:
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    return await _fx_page(request, session, principal)


@router.post("/fx", response_class=HTMLResponse)
async def set_fx(
    request: Request,
    session: SessionDep,
    csrf_token: Annotated[str, Form(max_length=300)],
    rate: Annotated[str, Form(max_length=30)],
) -> Response:
    check_csrf(request, csrf_token)
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    try:
        async with session.begin_nested():
            await pricing_service.set_fx_rate(
                session, pair=PAIR, rate=rate.strip(), operator_id=principal.user_id
            )
    except KuajingError as exc:
        return await _fx_page(request, session, principal, typed=rate, error=exc.code)
    return RedirectResponse("/console/fx", status_code=303)


GOAL_JOBS = 1_000_000  # the promise this platform is measured against


def _state_bars(report: impact_service.JobsReport) -> list[dict[str, object]]:
    """Jobs supported by state as horizontal SVG bars in a 400-wide box, 18 per row."""
    top = max((line.jobs_supported for line in report.by_state), default=Decimal(0)) or Decimal(1)
    return [
        {"state": line.state, "jobs": line.jobs_supported, "sales": line.export_sales, "y": i * 18,
         "width": float(round(300 * line.jobs_supported / top, 2))}
        for i, line in enumerate(report.by_state)
    ]  # fmt: skip


@router.get("/jobs", response_class=HTMLResponse)
async def jobs(request: Request, session: SessionDep) -> Response:
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    report = await impact_service.jobs_report(session)
    context = {
        "report": report,
        "bars": _state_bars(report),
        "goal": GOAL_JOBS,
        "progress": float(report.jobs_supported / GOAL_JOBS * 100),
        "method": impact_service.METHOD,
        "viewer": principal,
    }
    return render(request, "console/jobs.html", context, default_locale="en")


@router.get("/jobs.csv")
async def jobs_csv(request: Request, session: SessionDep) -> Response:
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    report = await impact_service.jobs_report(session)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["state", "export_sales_usd", "jobs_supported"])
    for line in report.by_state:
        writer.writerow([line.state, f"{Decimal(line.export_sales) / 100:.2f}", f"{line.jobs_supported:.4f}"])
    writer.writerow(["total", f"{Decimal(report.export_sales) / 100:.2f}", f"{report.jobs_supported:.4f}"])
    writer.writerow([])
    writer.writerow(["method", impact_service.METHOD])
    writer.writerow(["source", report.source])
    headers = {"Content-Disposition": 'attachment; filename="kuajing-jobs-report.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
