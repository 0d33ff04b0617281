"""The pricing calculators against DESIGN's worked examples, to the fen, and their invariants."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuajing.pricing.amounts import Channel, LineInput, price_order, share_freight
from kuajing.pricing.tax import Measures, TaxRate, ad_valorem, cbec_rate, cbec_taxes, full_taxes

pytestmark = pytest.mark.once  # pure: no database

WINE = TaxRate(
    1,
    "220421",
    vat=Decimal("0.13"),
    consumption_tax=Decimal("0.10"),
    mfn_tariff=Decimal("0.14"),
    effective_from=date(2019, 4, 1),
    effective_to=None,
)
APPLES = TaxRate(
    2,
    "080810",
    vat=Decimal("0.09"),
    consumption_tax=Decimal(0),
    mfn_tariff=Decimal("0.10"),
    effective_from=date(2019, 4, 1),
    effective_to=None,
)
GARMENT = TaxRate(
    3,
    "61",
    vat=Decimal("0.13"),
    consumption_tax=Decimal(0),
    mfn_tariff=Decimal("0.07"),
    effective_from=date(2019, 4, 1),
    effective_to=None,
)
FX = Decimal("7.1000")
LIMIT = 500_000


def test_design_wine_example_to_the_fen():
    # given 2 bottles of still wine at $30.00, freight $5.00, FX 7.1000
    # when
    amounts = price_order([LineInput(1, 2, 3000, WINE)], freight_usd=500, fx_rate=FX, per_order_limit=LIMIT)
    # then
    assert amounts.goods == 42600
    assert amounts.freight == 3550
    assert amounts.consumption_tax == 3589
    assert amounts.vat == 4666
    assert amounts.tariff == 0
    assert amounts.tax == 8255
    assert amounts.total == 54405
    assert amounts.channel is Channel.cbec


def test_apples_within_limits():
    # domain-facts §1.6: P = 200.00 → VAT 12.60, no CT. Here: $25.00 box, $3.17 freight at 7.1000.
    amounts = price_order([LineInput(2, 1, 2500, APPLES)], freight_usd=317, fx_rate=FX, per_order_limit=LIMIT)
    assert amounts.goods == 17750  # 177.50
    assert amounts.freight == 2251  # 3.17 × 7.1 = 22.507 → 22.51
    assert amounts.consumption_tax == 0
    assert amounts.vat == 1260  # 200.01 × 9% × 0.7 = 12.6006 → 12.60
    assert amounts.total == 17750 + 2251 + 1260


def test_garment_within_limits():
    # 800.00 jacket with no freight → 72.80 (9.1%), as in domain-facts §1.6
    amounts = price_order(
        [LineInput(3, 1, 11268, GARMENT)], freight_usd=0, fx_rate=FX, per_order_limit=LIMIT
    )  # 112.68 × 7.1 = 800.028 → 800.03
    assert amounts.goods == 80003
    assert amounts.vat == 7280  # 800.03 × 13% × 0.7 = 72.80273 → 72.80
    assert amounts.tax == 7280


def test_design_single_bottle_over_the_limit_is_taxed_in_full():
    # given one $750.00 bottle, no freight, US origin +10% additional tariff
    amounts = price_order(
        [LineInput(1, 1, 75000, WINE, additional_tariff_rate=Decimal("0.10"))],
        freight_usd=0,
        fx_rate=FX,
        per_order_limit=LIMIT,
    )
    assert amounts.channel is Channel.cbec_single_item_full_tax
    assert amounts.dutiable == 532500
    assert amounts.tariff == 127800
    assert amounts.consumption_tax == 73367
    assert amounts.vat == 95377
    assert amounts.tax == 296544


def test_two_items_over_the_limit_are_refused_as_cbec():
    amounts = price_order([LineInput(1, 2, 40000, WINE)], freight_usd=0, fx_rate=FX, per_order_limit=LIMIT)
    assert amounts.dutiable == 568000
    assert amounts.channel is Channel.over_order_limit


def test_a_dutiable_value_equal_to_the_limit_is_within_it():
    # at FX 10, two $250.00 bottles come to exactly 5,000.00 CNY; one cent more each is over
    at_limit = price_order(
        [LineInput(1, 2, 25000, WINE)], freight_usd=0, fx_rate=Decimal(10), per_order_limit=LIMIT
    )
    over = price_order(
        [LineInput(1, 2, 25001, WINE)], freight_usd=0, fx_rate=Decimal(10), per_order_limit=LIMIT
    )
    assert (at_limit.dutiable, at_limit.channel) == (500000, Channel.cbec)
    assert (over.dutiable, over.channel) == (500020, Channel.over_order_limit)


def test_freight_is_shared_by_value_with_the_remainder_on_the_last_line():
    assert share_freight(3550, [21300, 21300]) == [1775, 1775]
    assert share_freight(100, [1, 1, 1]) == [33, 33, 34]
    assert share_freight(100, [0, 0]) == [0, 100]
    assert share_freight(0, [500, 700]) == [0, 0]


def test_published_cbec_rates():
    assert cbec_rate(WINE.consumption_tax, WINE.vat).quantize(Decimal("0.0001")) == Decimal("0.1789")
    assert cbec_rate(APPLES.consumption_tax, APPLES.vat) == Decimal("0.063")
    assert cbec_rate(GARMENT.consumption_tax, GARMENT.vat) == Decimal("0.091")
    assert cbec_rate(Decimal("0.15"), Decimal("0.13")).quantize(Decimal("0.0001")) == Decimal("0.2306")


def test_domain_facts_within_limit_wine_example():
    # domain-facts §1.6: P = 320.00 → CT 24.89, VAT 32.36, total tax 57.24
    taxes = cbec_taxes(32000, consumption=ad_valorem(Decimal("0.10")), vat_rate=Decimal("0.13"))
    assert (taxes.consumption_tax, taxes.vat, taxes.total) == (2489, 3236, 5725)


def test_domain_facts_full_tax_example():
    # domain-facts §1.6: RMB 6,000 bottle, MFN 14% → tariff 840, CT 760, VAT 988, total 2,588
    taxes = full_taxes(
        600000, consumption=ad_valorem(Decimal("0.10")), vat_rate=Decimal("0.13"), tariff_rate=Decimal("0.14")
    )
    assert (taxes.tariff, taxes.consumption_tax, taxes.vat, taxes.total) == (84000, 76000, 98800, 258800)


rates = st.sampled_from([WINE, APPLES, GARMENT])
lines = st.lists(st.tuples(st.integers(1, 5_000_000), st.integers(1, 999), rates), min_size=1, max_size=8)


def _half_up(value: Decimal) -> int:
    # an independent rounding, written apart from the code under test
    return int((value + Decimal("0.5")).to_integral_value(rounding="ROUND_FLOOR"))


@given(lines=lines, freight=st.integers(0, 100_000), fx=st.decimals("0.5", "50", places=4))
def test_every_line_follows_the_published_formula(lines, freight, fx):
    inputs = [LineInput(i, qty, price, rate) for i, (price, qty, rate) in enumerate(lines)]
    amounts = price_order(inputs, freight_usd=freight, fx_rate=fx, per_order_limit=10**12)
    assert amounts.freight == _half_up(freight * fx)
    for line, (price, qty, rate) in zip(amounts.lines, lines, strict=True):
        assert line.unit_price == _half_up(price * fx)
        assert line.goods == line.unit_price * qty
        value = Decimal(line.goods + line.freight)
        c, v = rate.consumption_tax, rate.vat
        assert line.taxes.consumption_tax == _half_up(value / (1 - c) * c * Decimal("0.7"))
        assert line.taxes.vat == _half_up(value / (1 - c) * v * Decimal("0.7"))
        assert line.taxes.tariff == 0
    # and the order's figures are the lines' figures, nothing added or lost
    assert amounts.total == amounts.goods + amounts.freight + amounts.tax
    assert amounts.tax == sum(line.taxes.consumption_tax + line.taxes.vat for line in amounts.lines)


@given(
    freight=st.integers(0, 10_000_000), values=st.lists(st.integers(0, 10_000_000), min_size=1, max_size=20)
)
def test_freight_shares_add_up_to_the_freight(freight, values):
    shares = share_freight(freight, values)
    assert sum(shares) == freight
    assert all(share >= 0 for share in shares)
    assert len(shares) == len(values)


@given(value=st.integers(0, 100_000_000), rate=rates, extra=st.decimals("0", "1", places=2))
def test_tax_is_never_negative(value, rate, extra):
    within = cbec_taxes(value, consumption=ad_valorem(rate.consumption_tax), vat_rate=rate.vat)
    over = full_taxes(
        value,
        consumption=ad_valorem(rate.consumption_tax),
        vat_rate=rate.vat,
        tariff_rate=rate.mfn_tariff + extra,
    )
    assert within.total >= 0 and over.total >= 0
    assert over.total >= within.total


COSMETICS = TaxRate(
    5,
    "3304",
    vat=Decimal("0.13"),
    consumption_tax=Decimal(0),
    mfn_tariff=Decimal("0.05"),
    effective_from=date(2019, 4, 1),
    effective_to=None,
    high_end_consumption_tax_rate=Decimal("0.15"),
    high_end_min_per_ml_or_g=Decimal(10),
    high_end_min_per_piece=Decimal(15),
)
BEER = TaxRate(
    6,
    "2203",
    vat=Decimal("0.13"),
    consumption_tax=Decimal(0),
    mfn_tariff=Decimal(0),
    effective_from=date(2019, 4, 1),
    effective_to=None,
    consumption_tax_per_litre=Decimal("0.253"),
)


def test_high_end_cosmetic_carries_15_percent_consumption_tax():
    # domain-facts §1.6 (People's Daily): RMB 425 for 20 g is 21.25 per g → CT 52.50, VAT 45.50, 98.00
    cream = Measures(net_content=Decimal(20), net_unit="g")
    amounts = price_order(
        [LineInput(1, 1, 4250, COSMETICS, measures=cream)],
        freight_usd=0,
        fx_rate=Decimal(10),
        per_order_limit=LIMIT,
    )
    assert (amounts.goods, amounts.consumption_tax, amounts.vat, amounts.tax) == (42500, 5250, 4550, 9800)


def test_ordinary_cosmetic_pays_vat_only():
    # 200.00 for 50 ml is 4 per ml, under the 10-per-ml threshold: VAT 200 × 13% × 0.7 = 18.20
    lotion = Measures(net_content=Decimal(50), net_unit="ml")
    amounts = price_order(
        [LineInput(1, 1, 2000, COSMETICS, measures=lotion)],
        freight_usd=0,
        fx_rate=Decimal(10),
        per_order_limit=LIMIT,
    )
    assert (amounts.consumption_tax, amounts.vat) == (0, 1820)


def test_the_high_end_threshold_is_inclusive_and_per_piece_too():
    # exactly 10.00 per ml is high-end; 9.99 is not; a 15.00 lipstick (1 piece) is high-end
    at = price_order(
        [LineInput(1, 1, 500, COSMETICS, measures=Measures(net_content=Decimal(5), net_unit="ml"))],
        freight_usd=0,
        fx_rate=Decimal(10),
        per_order_limit=LIMIT,
    )
    below = price_order(
        [LineInput(1, 1, 4995, COSMETICS, measures=Measures(net_content=Decimal(50), net_unit="ml"))],
        freight_usd=0,
        fx_rate=Decimal(1),
        per_order_limit=LIMIT,
    )
    lipstick = price_order(
        [LineInput(1, 1, 150, COSMETICS, measures=Measures(net_content=Decimal(1), net_unit="piece"))],
        freight_usd=0,
        fx_rate=Decimal(10),
        per_order_limit=LIMIT,
    )
    # 50.00 for 5 ml: CT = 50/0.85 × 0.15 × 0.7 = 6.176 → 6.18; VAT = 50/0.85 × 0.13 × 0.7 = 5.353 → 5.35
    assert (at.consumption_tax, at.vat) == (618, 535)
    # 49.95 for 50 ml = 0.999 per ml: ordinary, VAT 49.95 × 0.091 = 4.545 → 4.55
    assert (below.consumption_tax, below.vat) == (0, 455)
    # 15.00 per piece: CT = 15/0.85 × 0.15 × 0.7 = 1.853 → 1.85; VAT = 1.606 → 1.61
    assert (lipstick.consumption_tax, lipstick.vat) == (185, 161)


def test_beer_consumption_tax_is_per_litre():
    # two 4-packs of 355 ml at $18.00, FX 7.1000, no freight: V = 255.60; 2.84 L
    # statutory CT = 2.84 × 0.253 = 0.71852 → CBEC 70% = 0.502964 → 0.50
    # VAT = (255.60 + 0.71852) × 13% × 0.7 = 23.324979 → 23.32
    four_pack = Measures(litres=Decimal("1.42"))
    amounts = price_order(
        [LineInput(1, 2, 1800, BEER, measures=four_pack)], freight_usd=0, fx_rate=FX, per_order_limit=LIMIT
    )
    assert (amounts.goods, amounts.consumption_tax, amounts.vat, amounts.tax) == (25560, 50, 2332, 2382)


def test_beer_without_a_declared_volume_gets_no_specific_tax_here():
    # the category rules refuse such a listing at order time (volume_missing); the calculator stays pure
    amounts = price_order([LineInput(1, 1, 1800, BEER)], freight_usd=0, fx_rate=FX, per_order_limit=LIMIT)
    assert amounts.consumption_tax == 0


def test_the_additional_tariff_within_the_limits_is_a_flag_that_changes_the_whole_base():
    # DESIGN's wine example with the unconfirmed rule switched on: +10% on V = 461.50 → 46.15;
    # the CT and VAT base grows with it: (461.50 + 46.15)/0.9 × 0.1 × 0.7 = 39.484 → 39.48;
    # × 0.13 × 0.7 = 51.329 → 51.33
    flagged = price_order(
        [LineInput(1, 2, 3000, WINE, within_limits_tariff_rate=Decimal("0.10"))],
        freight_usd=500,
        fx_rate=FX,
        per_order_limit=LIMIT,
    )
    assert (flagged.tariff, flagged.consumption_tax, flagged.vat, flagged.tax) == (4615, 3948, 5133, 13696)
