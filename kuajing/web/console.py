"""The operator console (English first): the USD→CNY rate, the sellers, every order with its
customs papers, payments and journal lines, the Singles' Day campaigns and the jobs report (the
books and payouts are in console_money.py). Operators sign in on /login like
everyone; only the operator role sees these pages."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.customs import service as customs_service
from kuajing.db import savepoint
from kuajing.errors import KuajingError, NotFound
from kuajing.flash_sale import service as flash_sale_service
from kuajing.flash_sale.schemas import CampaignIn
from kuajing.impact import service as impact_service
from kuajing.kit.ids import IdPath
from kuajing.kit.time import BEIJING
from kuajing.ledger import service as ledger_service
from kuajing.models import Role
from kuajing.order import service as order_service
from kuajing.order.status import OrderStatus
from kuajing.payment import service as payment_service
from kuajing.pricing import service as pricing_service
from kuajing.pricing.dependencies import FxSnapshotsDep
from kuajing.runtime import SessionDep
from kuajing.seller import service as seller_service
from kuajing.seller.status import SellerStatus
from kuajing.web.access import signed_in_as
from kuajing.web.console_people import named
from kuajing.web.session import check_csrf
from kuajing.web.templates import render

router = APIRouter(prefix="/console", include_in_schema=False)
PAIR = "USD-CNY"
PAGE_SIZE = 50
Cursor = Annotated[str | None, Query(max_length=64)]
PageSize = Annotated[int, Query(ge=1, le=100)]
FormText = Annotated[str, Form(max_length=300)]


async def _operator(request: Request, session: AsyncSession) -> Principal | Response:
    return await signed_in_as(request, session, Role.operator)


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
    context = {
        "history": history,
        "people": await named(session, users=[row.set_by_id for row in history]),
        "viewer": principal,
        "typed": typed,
        "error": error,
    }
    status = 200 if error is None else 422
    return render(request, "console/fx.html", context, status=status, default_locale="en")


@router.get("")
async def console_home() -> RedirectResponse:
    """/console: the orders, or the operator's sign-in on the way there."""
    return RedirectResponse("/console/orders", status_code=303)


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
    fx_snapshots: FxSnapshotsDep,
    csrf_token: Annotated[str, Form(max_length=300)],
    rate: Annotated[str, Form(max_length=30)],
) -> Response:
    check_csrf(request, csrf_token)
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    try:
        async with savepoint(session):
            await pricing_service.set_fx_rate(
                session, fx_snapshots, pair=PAIR, rate=rate.strip(), operator_id=principal.user_id
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


# -- pages of lists ----------------------------------------------------------------------------


def _show(
    request: Request, name: str, context: dict[str, Any], principal: Principal, *, status: int = 200
) -> Response:
    return render(request, name, {**context, "viewer": principal}, status=status, default_locale="en")


def _unreadable(request: Request, principal: Principal) -> Response:
    """A status that does not exist: a bad request, as pages.py answers a query string that
    fails validation (or a cursor this site did not issue)."""
    return _show(request, "error.html", {"status": 400, "code": "bad_request"}, principal, status=400)


def _not_found(request: Request, principal: Principal) -> Response:
    return _show(request, "error.html", {"status": 404, "code": "not_found"}, principal, status=404)


def _next_href(path: str, cursor: str | None, limit: int, **filters: str) -> str | None:
    """The link to the page after this one, with the same filters and size; None on the last."""
    if cursor is None:
        return None
    query = [(key, value) for key, value in filters.items() if value]
    if limit != PAGE_SIZE:
        query.append(("limit", str(limit)))
    return f"{path}?{urlencode([*query, ('cursor', cursor)])}"


@router.get("/sellers", response_class=HTMLResponse)
async def sellers(
    request: Request,
    session: SessionDep,
    cursor: Cursor = None,
    limit: PageSize = PAGE_SIZE,
    status: Annotated[SellerStatus | None, Query()] = None,
) -> Response:
    """The sellers, or those of one vetting status (pending: the review queue), each linked to
    their review."""
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    found, next_cursor = await seller_service.list_sellers(
        session, cursor=cursor, limit=limit, status=status.value if status else None
    )
    context = {
        "sellers": found,
        "statuses": [s.value for s in SellerStatus],
        "status": status.value if status else None,
        "next_href": _next_href(
            "/console/sellers", next_cursor, limit, status=status.value if status else ""
        ),
    }
    return _show(request, "console/sellers.html", context, principal)


# -- orders and their customs papers -----------------------------------------------------------

ORDER_STATUSES = tuple(status.value for status in OrderStatus)


def _as_viewer(principal: Principal) -> order_service.Viewer:
    return order_service.Viewer(principal.user_id, principal.role)


@router.get("/orders", response_class=HTMLResponse)
async def orders(
    request: Request,
    session: SessionDep,
    status: Annotated[str, Query(max_length=30)] = "",
    cursor: Cursor = None,
    limit: PageSize = PAGE_SIZE,
) -> Response:
    """Every order, the newest first. `status=` (the filter's "all") is no filter."""
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    if status and status not in ORDER_STATUSES:
        return _unreadable(request, principal)
    found, next_cursor = await order_service.list_orders(
        session, viewer=_as_viewer(principal), status=status or None, cursor=cursor, limit=limit
    )
    context = {
        "orders": found,
        "people": await named(
            session, users=[o.buyer_id for o in found], sellers=[o.seller_id for o in found]
        ),
        "status": status,
        "statuses": ORDER_STATUSES,
        "next_href": _next_href("/console/orders", next_cursor, limit, status=status),
    }
    return _show(request, "console/orders.html", context, principal)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order(request: Request, order_id: IdPath, session: SessionDep) -> Response:
    """One order: its lines and amounts, how its status moved, and its customs messages."""
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    as_viewer = _as_viewer(principal)
    try:
        found = await order_service.get_order(session, order_id=order_id, viewer=as_viewer)
    except NotFound:
        return _not_found(request, principal)
    context = {
        "order": found,
        "people": await named(session, users=[found.buyer_id], sellers=[found.seller_id]),
        "events": await order_service.order_events(session, order_id=order_id),
        "messages": await customs_service.list_messages(session, order_id=order_id, viewer=as_viewer),
        "payments": await payment_service.for_order(session, order_id=order_id),
        "refunds": await payment_service.refunds_for(session, order_id=order_id),
        "ledger_lines": await ledger_service.order_lines(session, order_id=order_id),
    }
    return _show(request, "console/order.html", context, principal)


@router.get("/orders/{order_id}/customs/{message_type}.xml")
async def customs_xml(
    request: Request,
    order_id: IdPath,
    message_type: Annotated[str, Path(max_length=16)],
    session: SessionDep,
) -> Response:
    """A customs message as stored. The API serves the same XML, but to a bearer token; the
    operator's browser carries only the session cookie."""
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    try:
        xml = await customs_service.message_xml(
            session, order_id=order_id, message_type=message_type, viewer=principal
        )
    except NotFound:  # no such order, type, or message yet
        return _not_found(request, principal)
    return Response(xml.encode("utf-8"), media_type="application/xml")


# -- Singles' Day campaigns --------------------------------------------------------------------

# Stands in for a time the form could not read, so that the name is still checked with it.
_UNREAD = datetime(2000, 1, 1, tzinfo=UTC)


def _beijing(typed: str) -> datetime | None:
    """A date-time input's value ("2026-11-11T00:00") as Beijing time, or None if it is not
    one. An offset is refused: the form asks for Beijing wall-clock time, nothing else."""
    try:
        moment = datetime.fromisoformat(typed.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=BEIJING) if moment.tzinfo is None else None


def _campaign_form(name: str, starts_at: str, ends_at: str) -> tuple[CampaignIn | None, dict[str, str]]:
    """The form checked as the API checks POST /campaigns: (the campaign, no errors), or
    (None, form field -> problem code). A name of spaces only is blank, as the service would
    store it stripped."""
    moments = {"starts_at": _beijing(starts_at), "ends_at": _beijing(ends_at)}
    errors = {field: "invalid_datetime" for field, moment in moments.items() if moment is None}
    try:
        campaign = CampaignIn.model_validate(
            {"name": name.strip(), **{field: moment or _UNREAD for field, moment in moments.items()}}
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "name"  # control characters: the name
            errors.setdefault(field, "invalid_campaign_name" if field == "name" else "invalid_datetime")
        return None, errors
    return (None, errors) if errors else (campaign, {})


async def _campaigns_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    found, next_cursor = await flash_sale_service.list_campaigns(session, cursor=cursor, limit=limit)
    context = {
        "campaigns": found,
        "next_href": _next_href("/console/campaigns", next_cursor, limit),
        "values": values or {},
        "errors": errors or {},
    }
    return _show(request, "console/campaigns.html", context, principal, status=status)


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns(
    request: Request, session: SessionDep, cursor: Cursor = None, limit: PageSize = PAGE_SIZE
) -> Response:
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    return await _campaigns_page(request, session, principal, cursor=cursor, limit=limit)


@router.post("/campaigns", response_class=HTMLResponse)
async def create_campaign(
    request: Request,
    session: SessionDep,
    csrf_token: FormText,
    name: FormText = "",
    starts_at: FormText = "",
    ends_at: FormText = "",
) -> Response:
    """A new campaign. A refused form comes back with what was typed and the reason beside the
    field; every field is optional here, so a missing one is refused the same way."""
    check_csrf(request, csrf_token)
    principal = await _operator(request, session)
    if not isinstance(principal, Principal):
        return principal
    typed = {"name": name, "starts_at": starts_at, "ends_at": ends_at}
    campaign, errors = _campaign_form(name, starts_at, ends_at)
    if campaign is None:
        return await _campaigns_page(request, session, principal, values=typed, errors=errors, status=422)
    try:
        async with savepoint(session):
            await flash_sale_service.create_campaign(
                session,
                name=campaign.name,
                starts_at=campaign.starts_at,
                ends_at=campaign.ends_at,
                operator_id=principal.user_id,
            )
    except KuajingError as exc:
        field = "ends_at" if exc.code == "invalid_campaign_window" else "form"
        return await _campaigns_page(
            request, session, principal, values=typed, errors={field: exc.code}, status=exc.status
        )
    return RedirectResponse("/console/campaigns", status_code=303)
