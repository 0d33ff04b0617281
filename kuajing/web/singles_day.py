"""/singles-day: the sales on now and the next to start, each with its countdown in Beijing time
and its deals priced for one unit with import tax and shipping (the usual price struck through),
with live remaining-stock bars (server-sent events), and buying through the same purchase flow as
the API (flash_sale.purchase): one unit, sold out and limit refusals shown on the page."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.snapshots import Snapshots
from kuajing.compliance import risk_notice
from kuajing.compliance.errors import RiskNoticeRequired
from kuajing.errors import KuajingError
from kuajing.flash_sale import board
from kuajing.flash_sale import purchase as deal_purchase
from kuajing.flash_sale.dependencies import BoardSnapshotsDep, PurchaseContextDep
from kuajing.flash_sale.errors import PurchaseUnavailable
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.time import BEIJING, beijing_date, utcnow
from kuajing.media.dependencies import StorageDep
from kuajing.media.storage import Storage
from kuajing.models import Role
from kuajing.runtime import DatabaseDep, database_of
from kuajing.web.session import check_csrf, login_path, viewer, viewer_of
from kuajing.web.templates import render

router = APIRouter(include_in_schema=False)

CampaignQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
STREAM_SECONDS = 600  # a page reconnects after this (EventSource does so by itself)


async def _page(
    request: Request,
    campaign_id: int | None,
    snapshots: Snapshots,
    storage: Storage,
    *,
    message: tuple[int, str] | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    async with database_of(request).transaction(write=False) as session:
        sales = await board.sale_page(session, snapshots, campaign_id=campaign_id, now=now)
        photos = await catalog_service.storefront_photos(
            session,
            storage,
            snapshots,
            sorted({card.deal.variant_of or card.product.id for sale in sales for card in sale.deals}),
        )
        principal = await viewer(request, session)
    context = {
        "sales": sales,
        "photos": photos,
        "now": now,
        "beijing": BEIJING,
        "viewer": principal,
        "message": message,
        "notice": risk_notice.in_force(beijing_date(now)),
    }
    return render(request, "singles_day/index.html", context, status=status)


@router.get("/singles-day", response_class=HTMLResponse)
async def singles_day(
    request: Request, snapshots: SnapshotsDep, storage: StorageDep, campaign: CampaignQuery = None
) -> Response:
    try:
        return await _page(request, campaign, snapshots, storage)
    except KuajingError:
        return render(
            request,
            "error.html",
            {"status": 404, "code": "not_found", "viewer": await viewer_of(request)},
            status=404,
        )


@router.get("/singles-day/live", response_class=HTMLResponse)
async def live(
    request: Request,
    database: DatabaseDep,
    boards: BoardSnapshotsDep,
    campaign: CampaignQuery = None,
    fragment: bool = False,
) -> Response:
    """The big screen. Its script reloads the board (fragment=1) every two seconds; without
    scripts the page refreshes itself every ten."""
    now = utcnow()
    try:  # every screen reloads every two seconds: one read per worker a second serves them all
        shown = await board.shared_live_board(database, boards, campaign_id=campaign, now=now)
    except KuajingError:
        return render(
            request,
            "error.html",
            {"status": 404, "code": "not_found", "viewer": await viewer_of(request)},
            status=404,
        )
    chart = _chart(shown.minutes if shown else [], now)
    name = "singles_day/board.html" if fragment else "singles_day/live.html"
    who = None if fragment else await viewer_of(request)  # the fragment has no header
    return render(request, name, {"board": shown, "chart": chart, "campaign_id": campaign, "viewer": who})


def _chart(minutes: list[tuple[str, int, int]], now: datetime) -> list[dict[str, object]]:
    """GMV per minute for the last LIVE_MINUTES minutes as SVG bars (x, height in a 300 x 120 box),
    labelled in Beijing time; a minute without sales is an empty slot."""
    by_minute = {minute: goods for minute, _orders, goods in minutes}
    slots = []
    for back in range(board.LIVE_MINUTES - 1, -1, -1):
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
    context: PurchaseContextDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    csrf_token: Annotated[str, Form(max_length=300)],
    campaign: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    risk_notice_accepted: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """One unit of the deal, through the purchase flow POST /api/v1/deals/{id}/purchase runs.
    No write transaction is held here: the stock ledger writes the order in its batch."""
    check_csrf(request, csrf_token)
    async with database_of(request).transaction(write=False) as session:
        principal = await viewer(request, session)
    if principal is None or principal.role != Role.buyer:
        back = "/singles-day" + (f"?campaign={campaign}" if campaign else "")
        return RedirectResponse(login_path(request, back), status_code=303)
    buyer_id = principal.user_id

    async def signed_in_buyer(_session: AsyncSession) -> int:
        return buyer_id

    try:
        if not risk_notice_accepted:
            raise RiskNoticeRequired(message="Accept the risk notice to buy.")
        answer = await deal_purchase.purchase(
            context,
            deal_purchase.PurchaseRequest(deal_id=deal_id, quantity=1, risk_notice_accepted=True),
            buyer=signed_in_buyer,
            now=utcnow(),
        )
    except PurchaseUnavailable:
        raise  # the ledger could not take the attempt: the 503 page, as for any page
    except KuajingError as refusal:
        # rendered once the purchase's read session has given its connection back
        return await _page(
            request, campaign, snapshots, storage, message=(deal_id, refusal.code), status=refusal.status
        )
    return RedirectResponse(f"/orders/{answer.body['order_id']}", status_code=303)


@router.get("/singles-day/stream")
async def stream(
    request: Request,
    database: DatabaseDep,
    boards: BoardSnapshotsDep,
    snapshots: SnapshotsDep,
    campaign: CampaignQuery = None,
) -> Response:
    """Server-sent events: every second, each deal's remaining units, as JSON {deal id: units}."""
    try:
        async with database.transaction(write=False) as session:
            await board.singles_day(session, snapshots, campaign_id=campaign, now=utcnow())
    except KuajingError:
        return render(
            request,
            "error.html",
            {"status": 404, "code": "not_found", "viewer": await viewer_of(request)},
            status=404,
        )

    async def events() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        until = loop.time() + STREAM_SECONDS
        yield f"retry: {int(board.TICK_SECONDS * 3000)}\n\n"
        while loop.time() < until and not await request.is_disconnected():
            remaining = await board.shared_remaining(database, boards, snapshots, campaign_id=campaign)
            yield f"data: {json.dumps(remaining)}\n\n"
            await asyncio.sleep(board.TICK_SECONDS)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
