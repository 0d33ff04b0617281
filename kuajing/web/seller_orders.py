"""A seller's orders in the portal: the paid ones waiting to ship, each marked shipped with its
tracking number (which drafts the customs waybill), the shipped ones, and a chart of sales."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.db import savepoint
from kuajing.errors import KuajingError
from kuajing.fulfillment import service as fulfillment_service
from kuajing.fulfillment.dependencies import FulfillmentDep
from kuajing.fulfillment.schemas import ShipIn
from kuajing.kit.ids import IdPath
from kuajing.kit.time import utcnow
from kuajing.order import service as order_service
from kuajing.order.schemas import address_for
from kuajing.order.status import OrderStatus
from kuajing.runtime import SessionDep
from kuajing.web.access import english, signed_in_seller
from kuajing.web.session import check_csrf

router = APIRouter(prefix="/seller", include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
VIEWS = {"to_ship": OrderStatus.paid.value, "shipped": OrderStatus.shipped.value, "all": None}
VIEW_PATTERN = f"^({'|'.join(VIEWS)})$"
PAGE_SIZE = 50
SALES_DAYS = 30


async def _orders_page(
    request: Request,
    session: AsyncSession,
    seller: Principal,
    *,
    view: str,
    cursor: str | None,
    errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    orders, next_cursor = await order_service.list_orders(
        session,
        viewer=order_service.Viewer(seller.user_id, seller.role),
        status=VIEWS[view],
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    context: dict[str, Any] = {
        "orders": orders,
        # whole while the seller ships it, masked before payment and after (order.schemas)
        "addresses": {order.id: address_for(order, seller=True) for order in orders},
        "view": view,
        "views": list(VIEWS),
        "cursor": cursor,
        "next_cursor": next_cursor,
        "errors": errors or {},
        "typed": typed or {},
        "viewer": seller,
    }
    return english(request, "seller/orders.html", context, status=status)


@router.get("/orders", response_class=HTMLResponse)
async def orders(
    request: Request,
    session: SessionDep,
    view: Annotated[str, Query(pattern=VIEW_PATTERN)] = "to_ship",
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    return await _orders_page(request, session, seller, view=view, cursor=cursor)


@router.post("/orders/{order_id}/ship", response_class=HTMLResponse)
async def ship(
    request: Request,
    order_id: IdPath,
    session: SessionDep,
    context: FulfillmentDep,
    csrf_token: Text,
    tracking_number: Text = "",
    view: Annotated[str, Form(pattern=VIEW_PATTERN)] = "to_ship",
) -> Response:
    check_csrf(request, csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    typed = tracking_number.strip()

    async def again(code: str, status: int) -> HTMLResponse:
        return await _orders_page(
            request, session, seller, view=view, cursor=None, errors={order_id: code},
            typed={order_id: tracking_number}, status=status,
        )  # fmt: skip

    try:
        ShipIn.model_validate({"tracking_number": typed})
    except ValidationError:
        return await again("invalid_tracking_number", 422)
    try:
        async with savepoint(session):
            await fulfillment_service.ship_order(
                session,
                context,
                order_id=order_id,
                viewer=order_service.Viewer(seller.user_id, seller.role),
                tracking_number=typed,
            )
    except KuajingError as exc:
        # in the seller's words: "cannot become shipped" means it is not waiting to ship
        code = "not_awaiting_shipment" if exc.code == "invalid_status_transition" else exc.code
        return await again(code, exc.status)
    return RedirectResponse(f"/seller/orders?view={view}&shipped={order_id}", status_code=303)


def _sales_bars(days: list[order_service.DaySales]) -> list[dict[str, object]]:
    """Goods sold per day as vertical SVG bars in a 600 × 160 box: 20 units a day, 120 high."""
    top = max((day.goods_usd for day in days), default=0) or 1
    return [
        {"day": day, "x": i * 20, "height": round(120 * day.goods_usd / top, 2)} for i, day in enumerate(days)
    ]


@router.get("/sales", response_class=HTMLResponse)
async def sales(request: Request, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    days = await order_service.seller_sales(session, seller_id=seller.user_id, days=SALES_DAYS, now=utcnow())
    context = {
        "days": days,
        "bars": _sales_bars(days),
        "total_usd": sum(day.goods_usd for day in days),
        "total_orders": sum(day.orders for day in days),
        "viewer": seller,
    }
    return english(request, "seller/sales.html", context)
