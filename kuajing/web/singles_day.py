"""/singles-day: the campaign with its countdown to 00:00 Beijing time, its deals with live
remaining-stock bars (server-sent events), and buying through the same purchase path as the API
(the stock ledger's batches): one unit, sold out and limit refusals shown on the page."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from kuajing.compliance import risk_notice
from kuajing.compliance.errors import RiskNoticeRequired
from kuajing.db import Database, database_of, end_read
from kuajing.errors import KuajingError
from kuajing.flash_sale import service as flash_sale_service
from kuajing.flash_sale.ledger import Refused, Reserved, StockLedger
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.time import BEIJING, beijing_date, beijing_year, utcnow
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import Role
from kuajing.web.session import check_csrf, login_path, viewer
from kuajing.web.templates import render

router = APIRouter(include_in_schema=False)

CampaignQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
STREAM_SECONDS = 600  # a page reconnects after this (EventSource does so by itself)
TICK_SECONDS = 1.0


async def _page(
    request: Request,
    campaign_id: int | None,
    *,
    message: tuple[int, str] | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    async with database_of(request).transaction(write=False) as session:
        sale = await flash_sale_service.singles_day(session, campaign_id=campaign_id, now=now)
        principal = await viewer(request, session)
    context = {
        "sale": sale,
        "now": now,
        "beijing": BEIJING,
        "viewer": principal,
        "message": message,
        "notice": risk_notice.in_force(beijing_date(now)),
    }
    return render(request, "singles_day/index.html", context, status=status)


@router.get("/singles-day", response_class=HTMLResponse)
async def singles_day(request: Request, campaign: CampaignQuery = None) -> Response:
    try:
        return await _page(request, campaign)
    except KuajingError:
        return render(request, "error.html", {"status": 404, "code": "not_found"}, status=404)


@router.get("/singles-day/live", response_class=HTMLResponse)
async def live(request: Request, campaign: CampaignQuery = None, fragment: bool = False) -> Response:
    """The big screen. Its script reloads the board (fragment=1) every two seconds; without
    scripts the page refreshes itself every ten."""
    now = utcnow()
    database = database_of(request)

    async def load() -> flash_sale_service.LiveBoard | None:
        async with database.transaction(write=False) as session:
            return await flash_sale_service.live_board(session, campaign_id=campaign, now=now)

    try:  # every screen reloads every two seconds: one read per worker a second serves them all
        board = await _boards.get_or_load(campaign, load)
    except KuajingError:
        return render(request, "error.html", {"status": 404, "code": "not_found"}, status=404)
    chart = _chart(board.minutes if board else [], now)
    name = "singles_day/board.html" if fragment else "singles_day/live.html"
    return render(request, name, {"board": board, "chart": chart, "campaign_id": campaign})


def _chart(minutes: list[tuple[str, int, int]], now: datetime) -> list[dict[str, object]]:
    """GMV per minute for the last LIVE_MINUTES minutes as SVG bars (x, height in a 300 x 120 box),
    labelled in Beijing time; a minute without sales is an empty slot."""
    by_minute = {minute: goods for minute, _orders, goods in minutes}
    slots = []
    for back in range(flash_sale_service.LIVE_MINUTES - 1, -1, -1):
        moment = now - timedelta(minutes=back)
        slots.append(
            (
                moment.astimezone(BEIJING).strftime("%H:%M"),
                by_minute.get(moment.strftime("%Y-%m-%d %H:%M"), 0),
            )
        )
    top = max((goods for _m, goods in slots), default=0) or 1
    width = 300 / len(slots)
    return [
        {"minute": minute, "goods": goods, "x": round(i * width, 2), "width": round(width * 0.8, 2),
         "height": round(110 * goods / top, 2)}
        for i, (minute, goods) in enumerate(slots)
    ]  # fmt: skip


@router.post("/singles-day/deals/{deal_id}/buy", response_class=HTMLResponse)
async def buy(
    request: Request,
    deal_id: IdPath,
    csrf_token: Annotated[str, Form(max_length=300)],
    campaign: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    risk_notice_accepted: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """One unit of the deal, through the stock ledger like POST /api/v1/deals/{id}/purchase.
    No write transaction is held here: the ledger writes the order in its batch."""
    check_csrf(request, csrf_token)
    ledger: StockLedger = request.app.state.stock_ledger
    now = utcnow()
    refusal: KuajingError | None = None
    async with database_of(request).transaction(write=False) as session:
        principal = await viewer(request, session)
        if principal is None or principal.role != Role.buyer:
            back = "/singles-day" + (f"?campaign={campaign}" if campaign else "")
            return RedirectResponse(login_path(request, back), status_code=303)
        try:
            if not risk_notice_accepted:
                raise RiskNoticeRequired(message="Accept the risk notice to buy.")
            deal = await flash_sale_service.deal_facts(session, deal_id=deal_id)
            flash_sale_service.admit(ledger, deal, quantity=1, now=now)
            await end_read(session)  # before waiting on the buyer's batched lookup
            buyer = await request.app.state.buyer_years.load(session, (principal.user_id, beijing_year(now)))
            attempt = await flash_sale_service.prepare_attempt(
                session,
                deal=deal,
                buyer_id=principal.user_id,
                quantity=1,
                risk_notice_accepted=True,
                risk_notice_version=None,
                shipping_address=None,
                ttl_seconds=request.app.state.settings.flash_sale_ttl_seconds,
                idempotency=None,
                now=now,
                buyer=buyer,
            )
        except KuajingError as exc:
            refusal = exc
    # the refusal's page is rendered once this read session has given its connection back
    if refusal is not None:
        return await _page(request, campaign, message=(deal_id, refusal.code), status=refusal.status)
    outcome = await ledger.purchase(attempt)
    if isinstance(outcome, Reserved):
        return RedirectResponse(f"/orders/{outcome.order_id}", status_code=303)
    assert isinstance(outcome, Refused)  # no Idempotency-Key here, so never Replayed
    return await _page(request, campaign, message=(deal_id, outcome.error.code), status=outcome.error.status)


# Every open page streams, so a worker reads each campaign's stock once a second, not once per
# page: the first stream to ask loads it (single-flight) and the others share the answer.
_stock: TTLCache[int | None, dict[int, int]] = TTLCache(TICK_SECONDS)
_boards: TTLCache[int | None, flash_sale_service.LiveBoard | None] = TTLCache(TICK_SECONDS)


async def _remaining(database: Database, campaign: int | None) -> dict[int, int]:
    async def load() -> dict[int, int]:
        async with database.transaction(write=False) as session:
            sale = await flash_sale_service.singles_day(session, campaign_id=campaign, now=utcnow())
        return {} if sale is None else {card.deal.id: card.deal.remaining for card in sale.deals}

    return await _stock.get_or_load(campaign, load)


@router.get("/singles-day/stream")
async def stream(request: Request, campaign: CampaignQuery = None) -> Response:
    """Server-sent events: every second, each deal's remaining units, as JSON {deal id: units}."""
    database = database_of(request)
    try:
        async with database.transaction(write=False) as session:
            await flash_sale_service.singles_day(session, campaign_id=campaign, now=utcnow())
    except KuajingError:
        return render(request, "error.html", {"status": 404, "code": "not_found"}, status=404)

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        until = loop.time() + STREAM_SECONDS
        yield f"retry: {int(TICK_SECONDS * 3000)}\n\n"
        while loop.time() < until and not await request.is_disconnected():
            yield f"data: {json.dumps(await _remaining(database, campaign))}\n\n"
            await asyncio.sleep(TICK_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
