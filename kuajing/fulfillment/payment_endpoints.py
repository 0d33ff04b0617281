"""The routes of payments and refunds: a buyer starts a payment and the provider's notification
(or a query) settles it; the seller or an operator refunds."""

from typing import Any

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from kuajing.auth.dependencies import BuyerPrincipal, CurrentPrincipal, OperatorPrincipal
from kuajing.errors import Forbidden, InvalidInput
from kuajing.fulfillment import payments, refunds
from kuajing.fulfillment.dependencies import FulfillmentDep
from kuajing.fulfillment.schemas import PaymentIn, RefundIn
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import IdPath
from kuajing.models import Role
from kuajing.order.service import Viewer
from kuajing.payment import service as payment_service
from kuajing.payment.schemas import (
    NotificationList,
    PaymentList,
    PaymentOut,
    RefundList,
    RefundOut,
    notification_out,
    payment_out,
    refund_out,
)
from kuajing.problems import PROVIDER_ANSWERS
from kuajing.runtime import SessionDep

router = APIRouter(tags=["payments"])


@router.post("/orders/{order_id}/payments", status_code=201, response_model=PaymentOut)
async def start_payment(
    order_id: IdPath,
    body: PaymentIn,
    buyer: BuyerPrincipal,
    session: SessionDep,
    context: FulfillmentDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Start paying an unpaid order: Alipay answers a `redirect_url` (its page-pay, signed),
    WeChat Pay a `code_url` and its QR code as SVG (`qr_code`). The order is paid when the
    provider's notification (or a query) says so. Asking again for the same provider while a
    payment is pending answers that payment."""

    async def start() -> dict[str, Any]:
        payment = await payments.start_payment(
            session, context, order_id=order_id, buyer_id=buyer.user_id, provider=body.provider
        )
        return payment_out(payment).model_dump(mode="json")

    return await respond_once(
        session,
        user_id=buyer.user_id,
        key=idempotency_key,
        request=f"POST /orders/{order_id}/payments",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=start,
    )


@router.get("/orders/{order_id}/payments", response_model=PaymentList)
async def list_payments(order_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> PaymentList:
    found = await payments.payments_of(
        session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role)
    )
    return PaymentList(items=[payment_out(payment) for payment in found])


@router.get("/payments/notifications", response_model=NotificationList)
async def list_notifications(
    _operator: OperatorPrincipal, session: SessionDep, outcome: str | None = None, limit: int = 100
) -> NotificationList:
    """What the providers sent, newest first; `outcome=refused` lists those refused and why."""
    rows = await payment_service.notifications(session, outcome=outcome, limit=max(1, min(limit, 500)))
    return NotificationList(items=[notification_out(row) for row in rows])


@router.get("/payments/{payment_id}", response_model=PaymentOut)
async def get_payment(payment_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> PaymentOut:
    payment = await payments.payment_of(
        session, payment_id=payment_id, viewer=Viewer(principal.user_id, principal.role)
    )
    return payment_out(payment)


@router.get("/payments/{payment_id}/qr.svg", response_class=Response)
async def payment_qr(payment_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> Response:
    """The WeChat Pay code as a QR code the buyer scans."""
    payment = await payments.payment_of(
        session, payment_id=payment_id, viewer=Viewer(principal.user_id, principal.role)
    )
    if not payment.code_url:
        raise InvalidInput("no_qr_code", f"Payment {payment_id} is not paid by scanning a code.")
    svg = segno.make(payment.code_url, error="m").svg_inline(scale=6, border=2)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})


@router.post("/payments/{payment_id}/query", response_model=PaymentOut)
async def query_payment(
    payment_id: IdPath, principal: CurrentPrincipal, session: SessionDep, context: FulfillmentDep
) -> PaymentOut:
    """Ask the provider about a pending payment now (the buyer's waiting page, an operator):
    paid there, it is captured here as a notification would."""
    if principal.role == Role.seller:
        raise Forbidden("not_allowed", "The buyer or an operator asks about a payment.")
    payment = await payments.payment_of(
        session, payment_id=payment_id, viewer=Viewer(principal.user_id, principal.role)
    )
    settled = await payments.settle_with_provider(
        session, context, payment=payment, actor_id=principal.user_id
    )
    return payment_out(settled)


@router.post("/payments/{payment_id}/sandbox-pay", response_model=PaymentOut)
async def sandbox_pay(
    payment_id: IdPath, buyer: BuyerPrincipal, session: SessionDep, context: FulfillmentDep
) -> PaymentOut:
    """The sandbox's checkout: the buyer pays a pending sandbox payment (no money moves)."""
    paid = await payments.pay_in_sandbox(session, context, payment_id=payment_id, buyer_id=buyer.user_id)
    return payment_out(paid)


async def _notify(provider: str, request: Request, session: SessionDep, context: FulfillmentDep) -> Response:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > payments.MAX_NOTIFICATION_BYTES:
        # not read at all: the provider's notifications are a few kilobytes
        answer = payment_service.answer(context.providers, provider, accepted=False)
        return Response(answer.body, status_code=413, media_type=answer.media_type)
    body = await request.body()
    answer = await payments.receive_notification(
        session, context, provider=provider, body=body, headers=dict(request.headers)
    )
    return Response(answer.body, status_code=answer.status_code, media_type=answer.media_type)


# The payment companies read their own answers, not problem+json (kuajing.problems leaves these be).
_TEXT: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
_ALIPAY_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "`success` or `failure`, as Alipay reads it.", "content": _TEXT},
    "default": {"description": "`failure` (Alipay not configured: 404; too large: 413).", "content": _TEXT},
}
_WECHATPAY_ANSWERS: dict[int | str, dict[str, Any]] = {
    204: {"description": "Accepted (WeChat Pay's success)."},
    "default": {
        "description": 'Refused: {"code":"FAIL","message":…} (400), or `failure` when WeChat Pay is not '
        "configured (404).",
        "content": {**_TEXT, "application/json": {"schema": {"type": "object"}}},
    },
}


@router.post(
    "/payments/alipay/notify",
    response_class=Response,
    responses=_ALIPAY_ANSWERS,
    openapi_extra={PROVIDER_ANSWERS: True},
)
async def alipay_notify(request: Request, session: SessionDep, context: FulfillmentDep) -> Response:
    """Alipay's asynchronous notification (form-encoded, RSA2-signed); answered `success` or
    `failure`. A refused one changes nothing and is kept for the operator."""
    return await _notify("alipay", request, session, context)


@router.post(
    "/payments/wechatpay/notify",
    response_class=Response,
    responses=_WECHATPAY_ANSWERS,
    openapi_extra={PROVIDER_ANSWERS: True},
)
async def wechatpay_notify(request: Request, session: SessionDep, context: FulfillmentDep) -> Response:
    """WeChat Pay's APIv3 notification (signed headers, AES-256-GCM resource); answered 204, or
    400 with {"code": "FAIL"} when refused."""
    return await _notify("wechatpay", request, session, context)


@router.post("/orders/{order_id}/refunds", status_code=201, response_model=RefundOut)
async def refund_order(
    order_id: IdPath,
    body: RefundIn,
    principal: CurrentPrincipal,
    session: SessionDep,
    context: FulfillmentDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Refund some units of a paid order's lines, or everything not refunded yet: goods, their
    share of the freight and of each tax, to the fen, and the buyer's yearly room. A paid order
    refunded in full before it ships is cancelled. Never more than was paid."""
    by_product: dict[tuple[int, int | None], int] | None = None
    if body.lines is not None:
        by_product = {}
        for line in body.lines:
            if (line.product_id, line.variant_id) in by_product:
                raise InvalidInput("refund_line_repeated", f"Product {line.product_id} is named twice.")
            by_product[line.product_id, line.variant_id] = line.quantity

    async def refund() -> dict[str, Any]:
        made = await refunds.refund_order(
            session,
            context,
            order_id=order_id,
            viewer=Viewer(principal.user_id, principal.role),
            by_product=by_product,
            reason=body.reason,
        )
        return refund_out(made).model_dump(mode="json")

    return await respond_once(
        session,
        user_id=principal.user_id,
        key=idempotency_key,
        request=f"POST /orders/{order_id}/refunds",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=refund,
    )


@router.get("/orders/{order_id}/refunds", response_model=RefundList)
async def list_refunds(order_id: IdPath, principal: CurrentPrincipal, session: SessionDep) -> RefundList:
    await payments.payments_of(session, order_id=order_id, viewer=Viewer(principal.user_id, principal.role))
    found = await payment_service.refunds_for(session, order_id=order_id)
    return RefundList(items=[refund_out(refund) for refund in found])
