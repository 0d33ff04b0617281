"""Money as integer minor units plus an ISO currency; FX conversion with half-up rounding."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CURRENCIES = ("USD", "CNY")


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if self.currency not in CURRENCIES:
            raise ValueError(f"unsupported currency {self.currency!r}")


def minor_text(amount: int) -> str:
    """Minor units as plain decimal text, as files and providers write money: 54405 -> "544.05",
    -3100 -> "-31.00"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def round_half_up(value: Decimal) -> int:
    """Round a Decimal to the nearest integer, halves away from zero (the fen rule)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def convert(money: Money, rate: Decimal, to: str) -> Money:
    """Convert with a rate quoted as units of `to` per unit of `money.currency`.

    USD and CNY both have two decimals, so cents × rate gives fen directly.
    """
    return Money(round_half_up(Decimal(money.amount) * rate), to)
