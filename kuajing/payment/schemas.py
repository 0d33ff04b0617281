from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kuajing.kit.money_schemas import MoneyModel
from kuajing.models import Payment, PaymentNotification, Refund


class PaymentOut(BaseModel):
    id: int
    order_id: int
    provider: str
    status: Literal["pending", "captured", "closed", "failed"]
    amount: MoneyModel
    refunded: MoneyModel
    redirect_url: str | None = Field(default=None, description="Where to send the buyer to pay (Alipay).")
    code_url: str | None = Field(default=None, description="What the QR code encodes (WeChat Pay Native).")
    qr_code: str | None = Field(default=None, description="The QR code as an SVG this server serves.")
    reference: str | None = Field(default=None, description="The provider's transaction number.")
    created_at: datetime
    expires_at: datetime | None
    captured_at: datetime | None
    declaration: str | None = Field(
        default=None,
        description="The payment company's declaration to customs: accepted, refused, not_sent; "
        "null until asked.",
    )
    payer_identity: str | None = Field(
        default=None,
        description="What the declaration found of the payer: same (as the orderer), different, unchecked.",
    )


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        id=payment.id,
        order_id=payment.order_id,
        provider=payment.provider,
        status=payment.status,
        amount=MoneyModel(amount=payment.amount, currency=payment.currency),
        refunded=MoneyModel(amount=payment.refunded_amount, currency=payment.currency),
        redirect_url=payment.redirect_url,
        code_url=payment.code_url,
        qr_code=f"/api/v1/payments/{payment.id}/qr.svg" if payment.code_url else None,
        reference=payment.reference,
        created_at=payment.created_at,
        expires_at=payment.expires_at,
        captured_at=payment.captured_at,
        declaration=payment.declaration_status,
        payer_identity=payment.payer_identity,
    )


class PaymentList(BaseModel):
    items: list[PaymentOut]


class RefundOut(BaseModel):
    id: int
    order_id: int
    payment_id: int
    status: Literal["pending", "succeeded", "failed"]
    amount: MoneyModel
    goods: MoneyModel
    freight: MoneyModel
    tax: MoneyModel
    lines: list[dict[str, int]] | None = Field(
        description="[{product_id, variant_id?, quantity}] (variant_id: a product with options); "
        "null: a whole payment."
    )
    reason: str
    request_no: str = Field(description="The refund request number the provider was given.")
    reference: str | None
    created_at: datetime
    completed_at: datetime | None


def _refund_line(line: dict[str, int]) -> dict[str, int]:
    """A refunded line as the API names it: a variant's row under its product's id."""
    if "variant_of" not in line:
        return line
    return {"product_id": line["variant_of"], "variant_id": line["product_id"], "quantity": line["quantity"]}


def refund_out(refund: Refund) -> RefundOut:
    def cny(amount: int) -> MoneyModel:
        return MoneyModel(amount=amount, currency=refund.currency)

    return RefundOut(
        id=refund.id,
        order_id=refund.order_id,
        payment_id=refund.payment_id,
        status=refund.status,
        amount=cny(refund.amount),
        goods=cny(refund.goods_amount),
        freight=cny(refund.freight_amount),
        tax=cny(refund.tax_amount),
        lines=None if refund.lines is None else [_refund_line(line) for line in refund.lines],
        reason=refund.reason,
        request_no=refund.request_no,
        reference=refund.reference,
        created_at=refund.created_at,
        completed_at=refund.completed_at,
    )


class RefundList(BaseModel):
    items: list[RefundOut]


class NotificationOut(BaseModel):
    id: int
    provider: str
    received_at: datetime
    outcome: str
    code: str | None
    detail: str
    payment_id: int | None
    out_trade_no: str | None
    body: str


def notification_out(row: PaymentNotification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        provider=row.provider,
        received_at=row.received_at,
        outcome=row.outcome,
        code=row.code,
        detail=row.detail,
        payment_id=row.payment_id,
        out_trade_no=row.out_trade_no,
        body=row.body,
    )


class NotificationList(BaseModel):
    items: list[NotificationOut]
