from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from kuajing.kit.input_model import InputModel
from kuajing.kit.money_schemas import MoneyModel
from kuajing.pricing.schemas import MAX_LINES, LineIn, QuoteLineOut


class ShippingAddress(InputModel):
    name: str = Field(min_length=1, max_length=60)
    phone: str = Field(pattern=r"^1[3-9]\d{9}$", description="Mainland mobile number, 11 digits.")
    province: str = Field(min_length=1, max_length=30)
    city: str = Field(min_length=1, max_length=30)
    district: str = Field(min_length=1, max_length=30)
    street: str = Field(min_length=1, max_length=200)


class OrderIn(InputModel):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_address: ShippingAddress
    risk_notice_accepted: StrictBool = Field(
        description="The buyer accepted the CBEC risk notice for this order."
    )
    risk_notice_version: str | None = Field(
        default=None,
        max_length=20,
        description="The version the buyer read (GET /api/v1/risk-notice). If a newer one is in force, the "
        "order is refused with risk_notice_outdated so the buyer reads it first.",
    )


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


class OrderLineOut(QuoteLineOut):
    """A quote line as placed, with the HS code and the USD unit price it was priced from."""

    hs_code: str
    unit_price_usd: MoneyModel


class OrderEventOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_id: int | None
    reason: str
    created_at: datetime


class OrderOut(BaseModel):
    id: int
    status: str
    buyer_id: int
    seller_id: int
    channel: str
    lines: list[OrderLineOut]
    goods: MoneyModel
    freight: MoneyModel
    consumption_tax: MoneyModel
    vat: MoneyModel
    tariff: MoneyModel
    tax: MoneyModel
    total: MoneyModel
    fx_rate: str
    shipping_address: ShippingAddress | None = Field(
        description="None for a flash-sale reservation placed without an address; paying sets it."
    )
    tracking_number: str | None
    risk_notice_version: str
    risk_notice_accepted_at: datetime
    expires_at: datetime
    created_at: datetime
    events: list[OrderEventOut] | None = None


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None
