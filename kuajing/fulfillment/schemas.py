from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from kuajing.kit.input_model import InputModel
from kuajing.order.schemas import ShippingAddress


class Payer(InputModel):
    name: str = Field(min_length=2, max_length=60)
    id_number: str = Field(min_length=1, max_length=32)


class PayIn(InputModel):
    method: Literal["sandbox"]
    payer: Payer | None = Field(
        default=None, description="Who pays; the buyer's identity on file if omitted. Must be the orderer."
    )
    shipping_address: ShippingAddress | None = Field(
        default=None,
        description="Where to ship: required when the order has none yet (a flash-sale reservation placed "
        "without one), otherwise it replaces the order's address.",
    )


class ShipIn(InputModel):
    tracking_number: str = Field(pattern=r"^[A-Za-z0-9-]{4,40}$")


# Stored as the order event's reason, so bounded by that column; blank text is no reason.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ReturnIn(InputModel):
    reason: Reason = Field(description="Why the buyer returns the order (1–200 characters).")


class ReturnAcceptIn(InputModel):
    restock: StrictBool = Field(
        default=False, description="Put the returned goods back on sale (each line's quantity)."
    )


class ReturnRejectIn(InputModel):
    reason: Reason = Field(description="Why the return is refused (1–200 characters); the buyer sees it.")


class PaymentIn(InputModel):
    provider: Literal["alipay", "wechatpay", "sandbox"] = Field(
        description="Who takes the payment; the server offers those it is configured for."
    )


class RefundLineIn(InputModel):
    product_id: int = Field(ge=1, le=2**31 - 1)
    variant_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The variant's line, for a product with options."
    )
    quantity: int = Field(ge=1, le=10_000)


class RefundIn(InputModel):
    lines: list[RefundLineIn] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Units to refund per product; omitted: everything not refunded yet.",
    )
    reason: Reason = Field(description="Why (1–200 characters); the buyer sees it.")
