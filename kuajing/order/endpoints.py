from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import JSONResponse, Response

from kuajing.auth.dependencies import BuyerPrincipal, CurrentPrincipal
from kuajing.db import SessionDep
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import IdPath
from kuajing.kit.money_schemas import MoneyModel
from kuajing.models import Order, OrderEvent, OrderReturn
from kuajing.order import returns, service
from kuajing.order.schemas import (
    LineRulesOut,
    OrderEventOut,
    OrderIn,
    OrderLineOut,
    OrderOut,
    OrderPage,
    PayIn,
    RefundOut,
    ReturnAcceptIn,
    ReturnIn,
    ReturnOut,
    ReturnRejectIn,
    ShipIn,
    ShippingAddressOut,
)
from kuajing.order.service import Viewer
from kuajing.order.status import OrderStatus
from kuajing.payment import service as payment_service
from kuajing.problems import problem

router = APIRouter(tags=["orders"])


def return_out(order_return: OrderReturn | None) -> ReturnOut | None:
    if order_return is None:
        return None
    refund = None
    if order_return.refund_amount is not None:
        assert order_return.refund_tax_amount is not None and order_return.refund_currency is not None
        assert order_return.refund_reference is not None and order_return.decided_at is not None
        refund = RefundOut(
            amount=MoneyModel(amount=order_return.refund_amount, currency=order_return.refund_currency),
            tax=MoneyModel(amount=order_return.refund_tax_amount, currency=order_return.refund_currency),
            reference=order_return.refund_reference,
            refunded_at=order_return.decided_at,
        )
    return ReturnOut(
        status=order_return.decision or "requested",
        reason=order_return.reason,
        requested_at=order_return.requested_at,
        decided_at=order_return.decided_at,
        rejection_reason=order_return.rejection_reason,
        restocked=order_return.restocked,
        refund=refund,
    )


def order_out(order: Order, events: list[OrderEvent] | None = None) -> OrderOut:
    cny = MoneyModel.cny
    return OrderOut(
        id=order.id,
        status=order.status,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        channel=order.channel,
        lines=[
            OrderLineOut(
                product_id=line.product_id,
                quantity=line.quantity,
                hs_code=line.hs_code,
                unit_price_usd=MoneyModel.usd(line.unit_price_usd_amount),
                unit_price=cny(line.unit_price_amount),
                goods=cny(line.goods_amount),
                freight=cny(line.freight_amount),
                consumption_tax=cny(line.consumption_tax_amount),
                vat=cny(line.vat_amount),
                tariff=cny(line.tariff_amount),
                tax=cny(line.tax_amount),
                rules=LineRulesOut(
                    tax_rule_id=line.tax_rule_id,
                    positive_list_entry_id=line.positive_entry_id,
                    origin_tariff_ids=line.origin_tariff_ids,
                ),
            )
            for line in order.lines
        ],
        goods=cny(order.goods_amount),
        freight=cny(order.freight_amount),
        consumption_tax=cny(order.consumption_tax_amount),
        vat=cny(order.vat_amount),
        tariff=cny(order.tariff_amount),
        tax=cny(order.tax_amount),
        total=cny(order.total_amount),
        fx_rate=str(order.fx_rate),
        shipping_address=ShippingAddressOut(**order.shipping_address) if order.shipping_address else None,
        tracking_number=order.tracking_number,
        delivered_at=order.delivered_at,
        return_window_ends_at=returns.window_ends_at(order.delivered_at),
        return_request=return_out(order.return_request),
        risk_notice_version=order.risk_notice_version,
        risk_notice_accepted_at=order.risk_notice_accepted_at,
        expires_at=order.expires_at,
        created_at=order.created_at,
        events=None
        if events is None
        else [
            OrderEventOut(
                from_status=e.from_status,
                to_status=e.to_status,
                actor_id=e.actor_id,
                reason=e.reason,
                created_at=e.created_at,
            )
            for e in events
        ],
    )


@router.post("/orders", status_code=201, response_model=OrderOut)
async def place_order(
    request: Request,
    body: OrderIn,
    buyer: BuyerPrincipal,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def place() -> dict:
        order = await service.place_order(
            session,
            buyer_id=buyer.user_id,
            lines=[(line.product_id, line.quantity) for line in body.lines],
            shipping_address=body.shipping_address.model_dump(),
            risk_notice_accepted=body.risk_notice_accepted,
            risk_notice_version=body.risk_notice_version,
            ttl_seconds=request.app.state.settings.order_ttl_seconds,
        )
        return order_out(order).model_dump(mode="json", exclude={"events"})

    return await respond_once(
        session,
        user_id=buyer.user_id,
        key=idempotency_key,
        request="POST /orders",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=place,
    )


@router.get("/orders", response_model=OrderPage)
async def list_orders(
    principal: CurrentPrincipal,
    session: SessionDep,
    status: OrderStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> OrderPage:
    orders, next_cursor = await service.list_orders(
        session,
        viewer=Viewer(principal.user_id, principal.role),
        status=status.value if status else None,
        cursor=cursor,
        limit=limit,
    )
    return OrderPage(items=[order_out(o) for o in orders], next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderOut)
async def get_order(order_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> OrderOut:
    order = await service.get_order(
        session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role)
    )
    return order_out(order, await service.order_events(session, order_id=order.id))


@router.post("/orders/{order_id}/pay", response_model=OrderOut)
async def pay_order(order_id: IdPath, body: PayIn, buyer: BuyerPrincipal, session: SessionDep) -> Response:
    outcome = await payment_service.pay_order(
        session,
        order_id=order_id,
        buyer_id=buyer.user_id,
        method=body.method,
        payer_name=body.payer.name if body.payer else None,
        payer_id_number=body.payer.id_number if body.payer else None,
        shipping_address=body.shipping_address.model_dump() if body.shipping_address else None,
    )
    if outcome.refusal is not None:
        # answered, not raised: the refusal's event is committed with this request
        return problem(outcome.refusal.status, outcome.refusal.code, outcome.refusal.message)
    return JSONResponse(order_out(outcome.order).model_dump(mode="json"))


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
async def cancel_order(
    order_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    request: Request,
    after_commit: BackgroundTasks,
) -> OrderOut:
    order = await service.cancel_order(
        session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role)
    )
    # Background tasks run once the response is sent, so after the session's commit: the
    # stock ledger (Redis) then returns the released units to its own count.
    after_commit.add_task(request.app.state.stock_ledger.released, [order_id])
    return order_out(order)


@router.post("/orders/{order_id}/ship", response_model=OrderOut)
async def ship_order(
    order_id: IdPath, body: ShipIn, principal: CurrentPrincipal, session: SessionDep
) -> OrderOut:
    order = await service.ship_order(
        session,
        order_id=order_id,
        viewer=Viewer(principal.user_id, principal.role),
        tracking_number=body.tracking_number,
    )
    return order_out(order)


@router.post("/orders/{order_id}/deliver", response_model=OrderOut)
async def deliver_order(order_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> OrderOut:
    order = await service.deliver_order(
        session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role)
    )
    return order_out(order)


@router.post("/orders/{order_id}/return", response_model=OrderOut)
async def request_return(
    order_id: IdPath,
    body: ReturnIn,
    buyer: BuyerPrincipal,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The buyer asks to return the whole order, within 30 days of delivery, once."""

    async def ask() -> dict:
        order = await returns.request_return(
            session, order_id=order_id, buyer_id=buyer.user_id, reason=body.reason
        )
        return order_out(order).model_dump(mode="json", exclude={"events"})

    return await respond_once(
        session,
        user_id=buyer.user_id,
        key=idempotency_key,
        request=f"POST /orders/{order_id}/return",
        body=body.model_dump(mode="json"),
        status_code=200,
        operation=ask,
    )


@router.post("/orders/{order_id}/return/accept", response_model=OrderOut)
async def accept_return(
    order_id: IdPath,
    principal: CurrentPrincipal,
    session: SessionDep,
    body: ReturnAcceptIn | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The owning seller or an operator accepts the return: a full refund, tax included, and the
    buyer's yearly room back; `restock` puts the goods back on sale."""
    accepted = body or ReturnAcceptIn()

    async def accept() -> dict:
        order = await returns.accept_return(
            session,
            order_id=order_id,
            viewer=Viewer(principal.user_id, principal.role),
            restock=accepted.restock,
        )
        return order_out(order).model_dump(mode="json", exclude={"events"})

    return await respond_once(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        request=f"POST /orders/{order_id}/return/accept",
        body=accepted.model_dump(mode="json"),
        status_code=200,
        operation=accept,
    )


@router.post("/orders/{order_id}/return/reject", response_model=OrderOut)
async def reject_return(
    order_id: IdPath, body: ReturnRejectIn, principal: CurrentPrincipal, session: SessionDep
) -> OrderOut:
    """The owning seller or an operator refuses the return, saying why; it cannot be asked again."""
    order = await returns.reject_return(
        session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role), reason=body.reason
    )
    return order_out(order)
