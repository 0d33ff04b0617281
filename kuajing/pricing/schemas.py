from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from kuajing.kit.ids import MAX_ID
from kuajing.kit.input_model import InputModel
from kuajing.kit.money_schemas import MoneyModel

MAX_LINES = 50
MAX_QUANTITY = 999


class FxRateIn(InputModel):
    rate: str = Field(min_length=1, max_length=20, examples=["7.1000"], description="CNY per 1 USD, as text.")


class FxRateEntry(BaseModel):
    rate: str
    set_at: datetime
    set_by: int | None


class FxRateOut(BaseModel):
    base: str
    quote: str
    rate: str
    set_at: datetime
    set_by: int | None
    history: list[FxRateEntry]


class LineIn(InputModel):
    product_id: StrictInt = Field(ge=1, le=MAX_ID)
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class QuoteIn(InputModel):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class QuoteLineOut(BaseModel):
    product_id: int
    quantity: int
    unit_price: MoneyModel
    goods: MoneyModel
    freight: MoneyModel
    consumption_tax: MoneyModel
    vat: MoneyModel
    tariff: MoneyModel
    tax: MoneyModel


class ProblemOut(BaseModel):
    code: str
    message: str
    product_id: int | None = None


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
