from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from kuajing.kit.input_model import InputModel, VisibleText
from kuajing.kit.masking import mask_name, mask_phone
from kuajing.kit.money_schemas import MoneyModel
from kuajing.models import Order, OrderEvent, OrderReturn
from kuajing.order.return_window import window_ends_at
from kuajing.order.status import OrderStatus

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


class LineRulesOut(BaseModel):
    """The rule rows (ids, as `kuajing rules export` shows them) the line was priced and
    admitted by: they stay as they were, so the order can always be explained."""

    tax_rule_id: int
    positive_list_entry_id: int | None = Field(description="Null for orders placed before the list was data.")
    origin_tariff_ids: list[int]


class RefundOut(BaseModel):
    amount: MoneyModel = Field(
        description="What the buyer paid (goods, freight and tax) and was not refunded before the return."
    )
    tax: MoneyModel = Field(description="The import tax inside the refund.")
    reference: str | None = Field(
        default=None, description="The provider's refund number; null when nothing was left to refund."
    )
    refunded_at: datetime


class ReturnOut(BaseModel):
    status: Literal["requested", "accepted", "rejected"]
    reason: str
    requested_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    restocked: bool | None
    refund: RefundOut | None


class QuoteLineOut(BaseModel):
    product_id: int
    variant_id: int | None = Field(
        default=None, description="The variant ordered, for a product with options."
    )
    quantity: int
    unit_price: MoneyModel
    goods: MoneyModel
    freight: MoneyModel
    consumption_tax: MoneyModel
    vat: MoneyModel
    tariff: MoneyModel
    tax: MoneyModel


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
    held_reason: str | None = Field(
        default=None, description="Why the order may not ship: payer_mismatch (the payer is not the orderer)."
    )
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


def return_out(order_return: OrderReturn | None) -> ReturnOut | None:
    if order_return is None:
        return None
    refund = None
    if order_return.refund_amount is not None:
        assert order_return.refund_tax_amount is not None and order_return.refund_currency is not None
        assert order_return.decided_at is not None
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


# What a seller needs of the buyer's address whole: to ship the parcel, while it is paid or on its
# way. Before payment, and once it has arrived or come to nothing, the seller sees it masked.
SELLER_SHIPS = frozenset({OrderStatus.paid, OrderStatus.shipped})


def address_for(order: Order, *, seller: bool) -> dict[str, str] | None:
    """The order's address as its viewer may read it: whole, or masked for a seller outside
    SELLER_SHIPS (the name's first character, the phone's ends, the province, city and district)."""
    address: dict[str, str] | None = order.shipping_address
    if not address or not seller or order.status in SELLER_SHIPS:
        return address
    return {
        **address,
        "name": mask_name(address.get("name", "")),
        "phone": mask_phone(address.get("phone", "")),
        "street": "*" * len(address.get("street", "")),
    }


def order_out(order: Order, events: list[OrderEvent] | None = None, *, seller: bool = False) -> OrderOut:
    """The order as the API answers it; `seller`: to the selling seller (see address_for)."""
    address = address_for(order, seller=seller)
    cny = MoneyModel.cny
    return OrderOut(
        id=order.id,
        status=order.status,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
        channel=order.channel,
        lines=[
            OrderLineOut(
                product_id=line.variant_of if line.variant_of is not None else line.product_id,
                variant_id=line.product_id if line.variant_of is not None else None,
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
        shipping_address=ShippingAddressOut(**address) if address else None,
        tracking_number=order.tracking_number,
        held_reason=order.held_reason,
        delivered_at=order.delivered_at,
        return_window_ends_at=window_ends_at(order.delivered_at),
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
