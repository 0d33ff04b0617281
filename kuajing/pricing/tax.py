"""Import taxes on one order line's dutiable value V (fen). Pure."""

from dataclasses import dataclass
from decimal import Decimal

from kuajing.compliance.rules import CBEC_TAX_SHARE
from kuajing.kit.money import round_half_up


@dataclass(frozen=True, slots=True)
class Taxes:
    tariff: int
    consumption_tax: int
    vat: int

    @property
    def total(self) -> int:
        return self.tariff + self.consumption_tax + self.vat


def cbec_taxes(
    value: int, *, consumption_tax_rate: Decimal, vat_rate: Decimal, tariff_rate: Decimal = Decimal(0)
) -> Taxes:
    """Within the CBEC limits: CT = V/(1−c)·c·0.7 and VAT = V/(1−c)·v·0.7, tariff normally 0."""
    tariff = round_half_up(Decimal(value) * tariff_rate)
    base = (Decimal(value) + tariff) / (1 - consumption_tax_rate)
    return Taxes(
        tariff=tariff,
        consumption_tax=round_half_up(base * consumption_tax_rate * CBEC_TAX_SHARE),
        vat=round_half_up(base * vat_rate * CBEC_TAX_SHARE),
    )


def full_taxes(
    value: int, *, consumption_tax_rate: Decimal, vat_rate: Decimal, tariff_rate: Decimal
) -> Taxes:
    """A single item over the per-order limit, taxed in full as general trade.

    tariff = V·t; composite base B = (V + tariff)/(1 − c); CT = B·c; VAT = B·v; no 70%.
    """
    tariff = round_half_up(Decimal(value) * tariff_rate)
    base = (Decimal(value) + tariff) / (1 - consumption_tax_rate)
    return Taxes(
        tariff=tariff,
        consumption_tax=round_half_up(base * consumption_tax_rate),
        vat=round_half_up(base * vat_rate),
    )
