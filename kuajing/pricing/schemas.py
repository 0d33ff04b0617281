from datetime import datetime

from pydantic import BaseModel, Field

from kuajing.kit.input_model import InputModel


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
