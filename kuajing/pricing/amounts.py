"""Order amounts in fen: goods, each line's freight share, taxes and totals. Pure."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kuajing.kit.money import Money, convert
from kuajing.pricing.tax import Measures, Taxes, TaxRate, cbec_taxes, consumption_tax_for, full_taxes


class Channel(StrEnum):
    cbec = "cbec"
    # one single item above the per-order limit: allowed, taxed in full
    cbec_single_item_full_tax = "cbec_single_item_full_tax"
    # several items above the per-order limit: not allowed through CBEC
    over_order_limit = "over_order_limit"


@dataclass(frozen=True, slots=True)
class LineInput:
    product_id: int
    quantity: int
    unit_price_usd: int
    tax_rate: TaxRate
    additional_tariff_rate: Decimal = Decimal(0)  # levied on a single item over the limit
    within_limits_tariff_rate: Decimal = Decimal(0)  # levied within the limits (a rule flag, off)
    measures: Measures = Measures()


@dataclass(frozen=True, slots=True)
class LineAmounts:
    product_id: int
    quantity: int
    unit_price_usd: int
    unit_price: int
    goods: int
    freight: int
    taxes: Taxes
    tax_rate_id: int

    @property
    def dutiable(self) -> int:
        return self.goods + self.freight

    @property
    def tax(self) -> int:
        return self.taxes.total


@dataclass(frozen=True, slots=True)
class OrderAmounts:
    lines: tuple[LineAmounts, ...]
    channel: Channel
    fx_rate: Decimal
    freight_usd: int = 0  # cents: the seller's shipping fee the yuan freight was converted from

    def _sum(self, pick: Callable[[LineAmounts], int]) -> int:
        return sum(pick(line) for line in self.lines)

    @property
    def goods(self) -> int:
        return self._sum(lambda line: line.goods)

    @property
    def freight(self) -> int:
        return self._sum(lambda line: line.freight)

    @property
    def consumption_tax(self) -> int:
        return self._sum(lambda line: line.taxes.consumption_tax)

    @property
    def vat(self) -> int:
        return self._sum(lambda line: line.taxes.vat)

    @property
    def tariff(self) -> int:
        return self._sum(lambda line: line.taxes.tariff)

    @property
    def tax(self) -> int:
        return self._sum(lambda line: line.tax)

    @property
    def dutiable(self) -> int:
        return self.goods + self.freight

    @property
    def total(self) -> int:
        return self.dutiable + self.tax

    @property
    def goods_usd(self) -> int:
        return self._sum(lambda line: line.unit_price_usd * line.quantity)


def share_freight(freight: int, values: list[int]) -> list[int]:
    """Split freight by value: each line but the last gets its floor share, the last the remainder."""
    if not values:
        return []
    total = sum(values)
    if total == 0:
        return [0] * (len(values) - 1) + [freight]
    shares = [freight * value // total for value in values[:-1]]
    return shares + [freight - sum(shares)]


def price_order(
    lines: list[LineInput], *, freight_usd: int, fx_rate: Decimal, per_order_limit: int
) -> OrderAmounts:
    """Price one seller's order in CNY fen at `fx_rate` (CNY per USD)."""
    unit_prices = [convert(Money(line.unit_price_usd, "USD"), fx_rate, "CNY").amount for line in lines]
    goods = [unit * line.quantity for unit, line in zip(unit_prices, lines, strict=True)]
    freight = convert(Money(freight_usd, "USD"), fx_rate, "CNY").amount
    shares = share_freight(freight, goods)

    dutiable = sum(goods) + freight
    if dutiable <= per_order_limit:
        channel = Channel.cbec
    elif len(lines) == 1 and lines[0].quantity == 1:
        channel = Channel.cbec_single_item_full_tax
    else:
        channel = Channel.over_order_limit

    priced = []
    for line, unit, line_goods, share in zip(lines, unit_prices, goods, shares, strict=True):
        rate = line.tax_rate
        value = line_goods + share
        consumption = consumption_tax_for(
            rate, unit_price=unit, quantity=line.quantity, measures=line.measures
        )
        if channel is Channel.cbec_single_item_full_tax:
            taxes = full_taxes(
                value,
                consumption=consumption,
                vat_rate=rate.vat,
                tariff_rate=rate.mfn_tariff + line.additional_tariff_rate,
            )
        else:
            taxes = cbec_taxes(
                value, consumption=consumption, vat_rate=rate.vat, tariff_rate=line.within_limits_tariff_rate
            )
        priced.append(
            LineAmounts(
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price_usd=line.unit_price_usd,
                unit_price=unit,
                goods=line_goods,
                freight=share,
                taxes=taxes,
                tax_rate_id=rate.id,
            )
        )
    return OrderAmounts(lines=tuple(priced), channel=channel, fx_rate=fx_rate, freight_usd=freight_usd)
