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


def _taxes(
    value: int, *, consumption_tax_rate: Decimal, vat_rate: Decimal, tariff_rate: Decimal, share: Decimal
) -> Taxes:
    # The composite base: VAT and consumption tax are both levied on value + tariff + CT.
    tariff = round_half_up(Decimal(value) * tariff_rate)
    base = (Decimal(value) + tariff) / (1 - consumption_tax_rate)
    return Taxes(
        tariff=tariff,
        consumption_tax=round_half_up(base * consumption_tax_rate * share),
        vat=round_half_up(base * vat_rate * share),
    )


def cbec_taxes(value: int, *, consumption_tax_rate: Decimal, vat_rate: Decimal) -> Taxes:
    """Within the CBEC limits: tariff 0, CT = V/(1−c)·c·70% and VAT = V/(1−c)·v·70%."""
    return _taxes(
        value,
        consumption_tax_rate=consumption_tax_rate,
        vat_rate=vat_rate,
        tariff_rate=Decimal(0),
        share=CBEC_TAX_SHARE,
    )


def full_taxes(
    value: int, *, consumption_tax_rate: Decimal, vat_rate: Decimal, tariff_rate: Decimal
) -> Taxes:
    """A single item over the per-order limit, taxed in full as general trade:
    tariff = V·t; B = (V + tariff)/(1 − c); CT = B·c; VAT = B·v; no 70%."""
    return _taxes(
        value,
        consumption_tax_rate=consumption_tax_rate,
        vat_rate=vat_rate,
        tariff_rate=tariff_rate,
        share=Decimal(1),
    )
