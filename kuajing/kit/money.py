"""Money as integer minor units plus an ISO currency; FX conversion with half-up rounding."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CURRENCIES = ("USD", "CNY")


class CurrencyMismatch(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if self.currency not in CURRENCIES:
            raise ValueError(f"unsupported currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int; use a rounding function for rates")
        return Money(self.amount * factor, self.currency)

    def as_dict(self) -> dict[str, int | str]:
        return {"amount": self.amount, "currency": self.currency}

    def __str__(self) -> str:
        return f"{Decimal(self.amount) / 100:.2f} {self.currency}"


def round_half_up(value: Decimal) -> int:
    """Round a Decimal to the nearest integer, halves away from zero (the fen rule)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def convert(money: Money, rate: Decimal, to: str) -> Money:
    """Convert with a rate quoted as units of `to` per unit of `money.currency`.

    USD and CNY both have two decimals, so cents × rate gives fen directly.
    """
    return Money(round_half_up(Decimal(money.amount) * rate), to)
