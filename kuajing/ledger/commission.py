"""The platform's commission: a rate per category with an optional per-seller override, as
dated rows (CommissionRate), applied to each line's goods in dollars, rounded half-up to the
cent. Shipping carries no commission."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from kuajing.kit.money import round_half_up
from kuajing.models import CommissionRate


class NoCommissionRate(LookupError):
    """No row is in force for a sale: the operator's rate table has a gap."""


def rate_for(rates: Iterable[CommissionRate], *, seller_id: int, category: str, on: date) -> CommissionRate:
    """The most specific row in force on `on`: the seller's own (for the category, then for all),
    the category's, then the default; the latest start wins among equals."""
    in_force = [
        r for r in rates if r.effective_from <= on and (r.effective_to is None or on < r.effective_to)
    ]

    def rank(rate: CommissionRate) -> tuple[int, date] | None:
        if rate.seller_id not in (None, seller_id) or rate.category not in (None, category):
            return None
        return ((rate.seller_id is not None) * 2 + (rate.category is not None), rate.effective_from)

    ranked = [(key, rate) for rate in in_force if (key := rank(rate)) is not None]
    if not ranked:
        raise NoCommissionRate(f"no commission rate in force on {on} for seller {seller_id}, {category}")
    return max(ranked, key=lambda pair: pair[0])[1]


def commission(goods_usd: int, rate: Decimal) -> int:
    return round_half_up(Decimal(goods_usd) * rate)


def share(amount: int, part: int, whole: int) -> int:
    """`part` of `whole` units' `amount`, half-up; share(amount, whole, whole) == amount, so the
    shares of successive parts, taken as differences of cumulative shares, add up exactly."""
    if whole <= 0:
        return 0
    return round_half_up(Decimal(amount) * part / whole)


def slice_of(amount: int, *, before: int, taking: int, whole: int) -> int:
    """What taking `taking` more units, after `before` were taken, carries of `amount`."""
    return share(amount, before + taking, whole) - share(amount, before, whole)
