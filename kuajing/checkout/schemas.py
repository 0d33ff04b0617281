from pydantic import BaseModel, Field, StrictBool, StrictInt

from kuajing.kit.ids import MAX_ID
from kuajing.kit.input_model import InputModel
from kuajing.kit.money_schemas import MoneyModel
from kuajing.order.schemas import QuoteLineOut, ShippingAddress
from kuajing.problems import ProblemOut

MAX_LINES = 50
MAX_QUANTITY = 999


class LineIn(InputModel):
    product_id: StrictInt = Field(ge=1, le=MAX_ID)
    variant_id: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Which variant of a product with options; not needed for a product without options.",
    )
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)

    @property
    def named(self) -> tuple[int, int | None, int]:
        return self.product_id, self.variant_id, self.quantity


class QuoteIn(InputModel):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class QuoteOut(BaseModel):
    lines: list[QuoteLineOut]
    goods: MoneyModel
    freight: MoneyModel
    consumption_tax: MoneyModel
    vat: MoneyModel
    tariff: MoneyModel
    tax: MoneyModel
    total: MoneyModel
    fx_rate: str
    channel: str
    problems: list[ProblemOut]


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
