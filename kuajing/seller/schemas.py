from datetime import datetime

from pydantic import BaseModel, Field, StrictInt

from kuajing.kit.input_model import InputModel
from kuajing.kit.money_schemas import MoneyIn, MoneyModel


class ProfileIn(InputModel):
    legal_name: str = Field(min_length=2, max_length=200)
    us_state: str = Field(min_length=2, max_length=2, description="Two-letter USPS code, e.g. CA.")
    employees: StrictInt = Field(ge=0, le=1_000_000)
    shipping_fee: MoneyIn = Field(description="Per-order shipping fee in USD.")


class ProfileOut(BaseModel):
    seller_id: int
    legal_name: str
    us_state: str
    employees: int
    shipping_fee: MoneyModel
    updated_at: datetime
