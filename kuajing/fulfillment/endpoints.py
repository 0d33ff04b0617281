"""The routes that move an order: pay, cancel, ship, deliver, and return."""

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Response
from fastapi.responses import JSONResponse

from kuajing.auth.dependencies import BuyerPrincipal, CurrentPrincipal
from kuajing.flash_sale.dependencies import StockLedgerDep
from kuajing.fulfillment import returns, service
from kuajing.fulfillment.dependencies import FulfillmentDep
from kuajing.fulfillment.schemas import PayIn, ReturnAcceptIn, ReturnIn, ReturnRejectIn, ShipIn
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import IdPath
from kuajing.order.schemas import OrderOut, order_out
from kuajing.order.service import Viewer
from kuajing.problems import problem
from kuajing.runtime import SessionDep

router = APIRouter(tags=["orders"])


@router.post("/orders/{order_id}/pay", response_model=OrderOut)
async def pay_order(
    order_id: IdPath, body: PayIn, buyer: BuyerPrincipal, session: SessionDep, context: FulfillmentDep
) -> Response:
    outcome = await service.pay_order(
        session,
        context,
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
    context: FulfillmentDep,
    ledger: StockLedgerDep,
    after_commit: BackgroundTasks,
) -> OrderOut:
    order = await service.cancel_order(
        session, context, order_id=order_id, viewer=Viewer(principal.user_id, principal.role)
    )
    # Background tasks run once the response is sent, so after the session's commit: the
    # stock ledger (Redis) then returns the released units to its own count.
    after_commit.add_task(ledger.released, [order_id])
    return order_out(order)


@router.post("/orders/{order_id}/ship", response_model=OrderOut)
async def ship_order(
    order_id: IdPath, body: ShipIn, principal: CurrentPrincipal, session: SessionDep, context: FulfillmentDep
) -> OrderOut:
    order = await service.ship_order(
        session,
        context,
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

    async def ask() -> dict[str, Any]:
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
    context: FulfillmentDep,
    body: ReturnAcceptIn | None = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """The owning seller or an operator accepts the return: a full refund, tax included, and the
    buyer's yearly room back; `restock` puts the goods back on sale."""
    accepted = body or ReturnAcceptIn()

    async def accept() -> dict[str, Any]:
        order = await returns.accept_return(
            session,
            context,
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
