"""Import taxes on one order line's dutiable value V (fen). Pure."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kuajing.kit.money import round_half_up

CBEC_TAX_SHARE = Decimal("0.7")  # VAT and CT within the limits are levied at 70% (Caiguanshui 2016 No. 18)


@dataclass(frozen=True, slots=True)
class TaxRate:
    id: int
    hs_prefix: str
    vat: Decimal
    consumption_tax: Decimal
    mfn_tariff: Decimal
    effective_from: date
    effective_to: date | None
    consumption_tax_per_litre: Decimal | None = None
    high_end_consumption_tax_rate: Decimal | None = None
    high_end_min_per_ml_or_g: Decimal | None = None
    high_end_min_per_piece: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Taxes:
    tariff: int
    consumption_tax: int
    vat: int

    @property
    def total(self) -> int:
        return self.tariff + self.consumption_tax + self.vat


@dataclass(frozen=True, slots=True)
class Measures:
    """What one unit sold contains, as the seller declared it in the product attributes."""

    litres: Decimal | None = None  # beer: container volume × containers per unit
    net_content: Decimal | None = None  # cosmetics: ml, g or pieces per unit
    net_unit: str | None = None  # "ml" | "g" | "piece"


@dataclass(frozen=True, slots=True)
class ConsumptionTax:
    rate: Decimal  # ad valorem
    specific: Decimal  # statutory specific tax on the whole line, in fen


def consumption_tax_for(
    rate: TaxRate, *, unit_price: int, quantity: int, measures: Measures
) -> ConsumptionTax:
    """The consumption tax a line carries: the row's ad valorem rate, the high-end rate when a
    cosmetic's price per ml, g or piece reaches the threshold, and any per-litre tax."""
    ad_valorem = rate.consumption_tax
    if rate.high_end_consumption_tax_rate is not None and _is_high_end(rate, unit_price, measures):
        ad_valorem = rate.high_end_consumption_tax_rate
    specific = Decimal(0)
    if rate.consumption_tax_per_litre is not None and measures.litres is not None:
        specific = measures.litres * quantity * rate.consumption_tax_per_litre * 100
    return ConsumptionTax(ad_valorem, specific)


def _is_high_end(rate: TaxRate, unit_price: int, measures: Measures) -> bool:
    if not measures.net_content or measures.net_content <= 0:
        return False
    per_measure = Decimal(unit_price) / 100 / measures.net_content  # yuan per ml, g or piece
    if measures.net_unit in ("ml", "g"):
        threshold = rate.high_end_min_per_ml_or_g
    elif measures.net_unit == "piece":
        threshold = rate.high_end_min_per_piece
    else:
        return False
    return threshold is not None and per_measure >= threshold


def _taxes(
    value: int, *, consumption: ConsumptionTax, vat_rate: Decimal, tariff_rate: Decimal, share: Decimal
) -> Taxes:
    # The composite base covers ad valorem, specific and compound consumption tax alike:
    # B = (V + tariff + S) / (1 − c); CT = B·c + S; VAT = B·v; each times the share levied.
    tariff = round_half_up(Decimal(value) * tariff_rate)
    c = consumption.rate
    base = (Decimal(value) + tariff + consumption.specific) / (1 - c)
    return Taxes(
        tariff=tariff,
        consumption_tax=round_half_up((base * c + consumption.specific) * share),
        vat=round_half_up(base * vat_rate * share),
    )


def cbec_taxes(
    value: int, *, consumption: ConsumptionTax, vat_rate: Decimal, tariff_rate: Decimal = Decimal(0)
) -> Taxes:
    """Within the CBEC limits: tariff 0 (unless a rule levies an origin's additional tariff here
    too), consumption tax and VAT at 70% of the statutory amount."""
    return _taxes(
        value, consumption=consumption, vat_rate=vat_rate, tariff_rate=tariff_rate, share=CBEC_TAX_SHARE
    )


def full_taxes(value: int, *, consumption: ConsumptionTax, vat_rate: Decimal, tariff_rate: Decimal) -> Taxes:
    """A single item over the per-order limit, taxed in full as general trade: no 70%."""
    return _taxes(
        value, consumption=consumption, vat_rate=vat_rate, tariff_rate=tariff_rate, share=Decimal(1)
    )


def cbec_rate(consumption_rate: Decimal, vat_rate: Decimal) -> Decimal:
    """The comprehensive CBEC rate shown to buyers: (c + v) / (1 − c) × 70%."""
    return (consumption_rate + vat_rate) / (1 - consumption_rate) * CBEC_TAX_SHARE


def ad_valorem(rate: Decimal) -> ConsumptionTax:
    return ConsumptionTax(rate, Decimal(0))
