"""A deal is priced once per quantity, and again when what the price depends on changes: the FX
rate, a tax rule, the day. Amounts are the DESIGN's formulas for wine (c=10%, v=13%, 70%)."""

import uuid

from kuajing.catalog.snapshots import Snapshots
from kuajing.flash_sale.snapshots import DealSnapshots
from kuajing.flash_sale.templates import DealTemplates
from kuajing.kit.time import utcnow
from tests.auth.factories import operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.compliance.factories import add_rows, tax_row
from tests.flash_sale.factories import create_campaign, create_deal
from tests.helpers import in_db


def priced_totals(app, templates, snapshots, deal_id, quantity=1):
    """(goods, freight, consumption tax, VAT, total) of the deal's template, in fen."""

    async def work(session):
        deal = await DealSnapshots(0).facts(session, deal_id=deal_id)
        priced = await templates.priced(session, snapshots, deal=deal, quantity=quantity, now=utcnow())
        order = priced.order
        return (
            order["goods_amount"],
            order["freight_amount"],
            order["consumption_tax_amount"],
            order["vat_amount"],
            order["total_amount"],
        )

    return in_db(app, work)


def test_a_deal_is_priced_once_and_again_after_an_fx_change(api, app, operator_token):
    # given a $20.00 deal on a wine, freight $5.00, at 7.1000
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    deal = create_deal(api, seller, create_campaign(api, operator_token)["id"], wine["id"], price_cents=2000)
    templates = DealTemplates()
    snapshots = Snapshots.build(read_seconds=0, rules_seconds=60)  # the rate read on every attempt
    # goods 142.00, freight 35.50, V = 177.50: consumption tax 177.50/0.9 x 0.1 x 0.7 = 13.81,
    # VAT 177.50/0.9 x 0.13 x 0.7 = 17.95
    first = (14_200, 3_550, 1_381, 1_795, 20_926)
    assert priced_totals(app, templates, snapshots, deal["id"]) == first
    assert priced_totals(app, templates, snapshots, deal["id"]) == first
    assert templates.pricings == 1  # the second attempt used the template

    # when the operator sets 7.2000
    changed = api.put(
        "/api/v1/fx-rates/USD-CNY", json={"rate": "7.2000"}, headers=operator_headers(operator_token)
    )
    assert changed.status_code == 200, changed.text
    # then the next attempt is priced again: goods 144.00, freight 36.00, V = 180.00,
    # consumption tax 14.00, VAT 18.20
    assert priced_totals(app, templates, snapshots, deal["id"]) == (14_400, 3_600, 1_400, 1_820, 21_220)
    assert templates.pricings == 2
    # and each quantity has its own template: 2 bottles, goods 288.00, freight 36.00, V = 324.00
    assert priced_totals(app, templates, snapshots, deal["id"], quantity=2) == (
        28_800,
        3_600,
        2_520,
        3_276,
        38_196,
    )
    assert templates.pricings == 3


def test_a_deal_follows_a_tax_rule_change_once_the_rule_book_reloads(api, app, operator_token):
    # given a deal on a wine under an HS code of its own (a narrower line than 2204.21's)
    seller = seller_with_profile(api)
    code = f"2204.21{uuid.uuid4().int % 10_000:04d}"
    wine = create_product(api, seller, hs_code=code)
    deal = create_deal(api, seller, create_campaign(api, operator_token)["id"], wine["id"], price_cents=2000)
    templates = DealTemplates()
    snapshots = Snapshots.build(read_seconds=0, rules_seconds=60)
    assert priced_totals(app, templates, snapshots, deal["id"]) == (14_200, 3_550, 1_381, 1_795, 20_926)

    # when a rule for that code alone says VAT 9% and no consumption tax
    add_rows(app, "tax_rules", [tax_row(code.replace(".", ""), vat="0.09")])
    # then the worker's rule book, until it reloads, still prices as before
    assert priced_totals(app, templates, snapshots, deal["id"]) == (14_200, 3_550, 1_381, 1_795, 20_926)
    assert templates.pricings == 1
    # and once it reloads (its TTL, or the change made in this worker): VAT 177.50 x 0.09 x 0.7
    snapshots.rules.forget()
    assert priced_totals(app, templates, snapshots, deal["id"]) == (14_200, 3_550, 0, 1_118, 18_868)
    assert templates.pricings == 2
