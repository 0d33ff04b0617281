from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, StrictBool, StrictInt, field_validator

from kuajing.catalog.schemas import MAX_STOCK
from kuajing.kit.ids import MAX_ID
from kuajing.kit.input_model import InputModel
from kuajing.kit.money_schemas import MoneyIn, MoneyModel
from kuajing.order.schemas import ShippingAddress

MAX_PURCHASE_QUANTITY = 10_000


class CampaignIn(InputModel):
    name: str = Field(min_length=1, max_length=100)
    starts_at: AwareDatetime = Field(description="ISO 8601 with an offset, e.g. 2026-11-11T00:00:00+08:00.")
    ends_at: AwareDatetime = Field(description="ISO 8601 with an offset; after starts_at.")

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _plausible_year(cls, value: datetime) -> datetime:
        # Far-off years cannot be moved to UTC or Beijing time without overflowing.
        if not 2000 <= value.year <= 2100:
            raise ValueError("the year must be between 2000 and 2100")
        return value


class CampaignOut(BaseModel):
    id: int
    name: str
    starts_at: datetime = Field(description="Beijing time (+08:00).")
    ends_at: datetime = Field(description="Beijing time (+08:00).")


class DealIn(InputModel):
    product_id: StrictInt = Field(ge=1, le=MAX_ID)
    variant_id: StrictInt | None = Field(
        default=None, ge=1, le=MAX_ID, description="The variant on sale, for a product with options."
    )
    price: MoneyIn = Field(description="The deal's unit price in USD.")
    quantity: StrictInt = Field(ge=1, le=MAX_STOCK, description="Units carved out of the product's stock.")
    per_buyer_limit: StrictInt = Field(ge=1, le=MAX_STOCK)


class DealOut(BaseModel):
    id: int
    campaign_id: int
    product_id: int
    variant_id: int | None = Field(default=None, description="The only variant the deal sells, if any.")
    price: MoneyModel
    price_cny: MoneyModel | None = Field(description="The deal price in yuan at today's rate.")
    quantity: int = Field(description="Units allocated to the deal.")
    remaining: int
    reserved: int = Field(description="Units held by unpaid orders; they come back if those expire.")
    sold: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime


class PurchaseIn(InputModel):
    quantity: StrictInt = Field(ge=1, le=MAX_PURCHASE_QUANTITY)
    risk_notice_accepted: StrictBool = Field(
        description="The buyer accepted the CBEC risk notice for this order."
    )
    risk_notice_version: str | None = Field(default=None, max_length=20)
    shipping_address: ShippingAddress | None = Field(
        default=None, description="Optional here; if omitted, paying the order must give one."
    )


class PurchaseOut(BaseModel):
    order_id: int
    status: str
    expires_at: datetime


class CampaignStatsOut(BaseModel):
    orders: int = Field(description="Orders placed through the campaign's deals, not expired or cancelled.")
    units: int
    gmv: MoneyModel = Field(description="Those orders' goods at the deal prices, in CNY.")
