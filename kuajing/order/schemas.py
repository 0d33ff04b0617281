from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints, model_validator

from kuajing.kit.input_model import InputModel, VisibleText
from kuajing.kit.money_schemas import MoneyModel
from kuajing.pricing.schemas import MAX_LINES, LineIn, QuoteLineOut

ADDRESS_MAX = 200


class ShippingAddress(InputModel):
    name: VisibleText = Field(min_length=1, max_length=60)
    phone: str = Field(pattern=r"^1[3-9]\d{9}$", description="Mainland mobile number, 11 digits.")
    province: VisibleText = Field(min_length=1, max_length=30)
    city: VisibleText = Field(min_length=1, max_length=30)
    district: VisibleText = Field(min_length=1, max_length=30)
    street: VisibleText = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _fits_customs(self) -> "ShippingAddress":
        # CEB311 and CEB511 carry the whole address in one field of at most 200 characters.
        parts = (self.province, self.city, self.district, self.street)
        if sum(len(part.strip()) for part in parts) > ADDRESS_MAX:
            raise ValueError(
                f"province, city, district and street together may have {ADDRESS_MAX} characters"
            )
        return self


class ShippingAddressOut(BaseModel):
    """An address as stored: shown as it is, never re-validated (rules may have grown since)."""

    name: str
    phone: str
    province: str
    city: str
    district: str
    street: str


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


class LineRulesOut(BaseModel):
    """The rule rows (ids, as `kuajing rules export` shows them) the line was priced and
    admitted by: they stay as they were, so the order can always be explained."""

    tax_rule_id: int
    positive_list_entry_id: int | None = Field(description="Null for orders placed before the list was data.")
    origin_tariff_ids: list[int]


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


class RefundOut(BaseModel):
    amount: MoneyModel = Field(description="Everything the buyer paid: goods, freight and tax.")
    tax: MoneyModel = Field(description="The import tax inside the refund: the order's whole tax.")
    reference: str
    refunded_at: datetime


class ReturnOut(BaseModel):
    status: Literal["requested", "accepted", "rejected"]
    reason: str
    requested_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    restocked: bool | None
    refund: RefundOut | None


class OrderLineOut(QuoteLineOut):
    """A quote line as placed, with the HS code and the USD unit price it was priced from."""

    hs_code: str
    unit_price_usd: MoneyModel
    rules: LineRulesOut


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
    shipping_address: ShippingAddressOut | None = Field(
        description="None for a flash-sale reservation placed without an address; paying sets it."
    )
    tracking_number: str | None
    delivered_at: datetime | None
    return_window_ends_at: datetime | None = Field(
        description="Until when the buyer may ask to return the order (30 days from delivery)."
    )
    return_request: ReturnOut | None
    risk_notice_version: str
    risk_notice_accepted_at: datetime
    expires_at: datetime
    created_at: datetime
    events: list[OrderEventOut] | None = None


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None
