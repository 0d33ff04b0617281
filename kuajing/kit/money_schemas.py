"""The API's Money shape: {"amount": <int minor units>, "currency": "USD"|"CNY"}."""

from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from kuajing.kit.input_model import InputModel

# Ten million dollars or yuan in minor units: beyond any single price a client may send.
MAX_AMOUNT = 1_000_000_000


class MoneyModel(BaseModel):
    amount: int = Field(description="Integer minor units (cents, fen).")
    currency: Literal["USD", "CNY"]

    @classmethod
    def cny(cls, amount: int) -> "MoneyModel":
        return cls(amount=amount, currency="CNY")

    @classmethod
    def usd(cls, amount: int) -> "MoneyModel":
        return cls(amount=amount, currency="USD")


class MoneyIn(InputModel):
    """Money a client sends: bounded and strict."""

    currency: Literal["USD", "CNY"]
    # Strict: "30.00" must be refused, never read as 30 cents.
    amount: StrictInt = Field(ge=0, le=MAX_AMOUNT, description="Integer minor units (cents, fen).")
