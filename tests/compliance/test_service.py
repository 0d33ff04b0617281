"""Importing CBEC rule files through the service: whole-file refusals that change nothing, rows
in force kept as history, a rule change on a Beijing date boundary, and the rule rows an order
records; and the packaged loader's own checks."""

from datetime import date, time
from decimal import Decimal

import pytest

from kuajing.checkout import service as checkout_service
from kuajing.compliance.rule_files import TABLES, RuleFileError, export_csv, packaged_text, parse
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import WINE, create_product
from tests.compliance.factories import (
    add_rows,
    beijing_moment,
    beijing_today,
    days,
    export_all,
    import_rules,
    list_row,
    tax_row,
)
from tests.helpers import in_db, no_snapshots
from tests.order.factories import place

TAX = TABLES["tax_rules"]
LIST = TABLES["positive_list_entries"]


def test_a_new_row_must_not_overlap_the_row_in_force(app):
    before = export_all(app)
    later = beijing_today() + days(30)
    with pytest.raises(RuleFileError) as caught:
        import_rules(app, export_csv(TAX, [tax_row("220421", vat="0.09", start=later)]))
    (error,) = caught.value.errors
    assert error.startswith(f"line 2: hs_prefix=220421 from {later} overlaps database row ")
    assert error.endswith("(2019-04-01 to open-ended); end the earlier row the day before")
    assert export_all(app) == before


def test_a_new_row_may_not_start_on_a_day_orders_were_already_priced(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE)
    assert place(api, buyer_with_identity(api), [(wine["id"], 1)]).status_code == 201
    today = beijing_today()
    with pytest.raises(RuleFileError) as caught:
        import_rules(app, export_csv(TAX, [tax_row("9604", start=today)]))
    assert caught.value.errors == [
        f"line 2 (hs_prefix=9604, effective_from={today}): a new row from {today} would reprice orders "
        f"already placed (the latest on {today}); date it after {today}"
    ]


def test_a_row_in_force_keeps_its_values_and_accepts_only_an_end_date(app):
    start = beijing_today() + days(50)
    row = tax_row("9605", vat="0.13", start=start)
    assert import_rules(app, export_csv(TAX, [row])).added == 1
    # before it takes effect it may still be corrected
    corrected = {**row, "vat_rate": Decimal("0.09")}
    assert import_rules(app, export_csv(TAX, [corrected])).changed == 1

    # once in force (the clock moved on 10 days), its values are history
    in_force = start + days(10)
    with pytest.raises(RuleFileError) as caught:
        import_rules(app, export_csv(TAX, [{**corrected, "vat_rate": Decimal("0.06")}]), today=in_force)
    assert caught.value.errors == [
        f"line 2 (hs_prefix=9605, effective_from={start}): the row from {start} has been in force, so "
        "vat_rate cannot change; end it and add a new dated row for the new values"
    ]
    with pytest.raises(RuleFileError) as caught:
        import_rules(
            app, export_csv(TAX, [{**corrected, "effective_to": in_force - days(1)}]), today=in_force
        )
    assert caught.value.errors[0].endswith(
        f"its end date can be today ({in_force}) or later, not {in_force - days(1)}"
    )
    ended = import_rules(app, export_csv(TAX, [{**corrected, "effective_to": in_force}]), today=in_force)
    assert (ended.changed, ended.added) == (1, 0)
    assert f"9605,Test line 9605,测试税号9605,0.09,0,0,{start},{in_force}," in export_all(app)["tax_rules"]


def test_a_rule_change_takes_effect_on_the_beijing_date_boundary(api, app):
    """VAT on a test line falls from 13% to 9% at 00:00 Beijing time on `change`: a quote one
    second before midnight uses the old row, one at midnight the new one."""
    first = beijing_today() + days(60)
    change = first + days(10)
    rows = [
        tax_row("9606", vat="0.13", start=first, end=change - days(1)),
        tax_row("9606", vat="0.09", start=change),
    ]
    assert import_rules(app, export_csv(TAX, rows)).added == 2
    assert import_rules(app, export_csv(LIST, [list_row("9606", start=first)])).added == 1

    seller = seller_with_profile(api, shipping_fee_cents=500)
    print_ = create_product(
        api,
        seller,
        WINE,
        category="other",
        hs_code="9606.10",
        price={"amount": 10000, "currency": "USD"},
        attributes={},
    )

    def quote_at(moment):
        async def work(session):
            return await checkout_service.quote(
                session, no_snapshots(), lines=[(print_["id"], 1)], buyer_id=None, now=moment
            )

        return in_db(app, work, write=False)

    before_any = quote_at(beijing_moment(first - days(1), time(12, 0)))
    assert [p.code for p in before_any.problems] == ["not_on_positive_list"]

    old = quote_at(beijing_moment(change - days(1), time(23, 59, 59)))
    new = quote_at(beijing_moment(change, time(0, 0)))
    # goods $100 x 7.1 = 710.00 CNY, freight $5 = 35.50 CNY; CBEC tax = 70% of VAT on 745.50
    assert (old.amounts.goods, old.amounts.freight) == (71000, 3550)
    assert (old.problems, new.problems) == ([], [])
    assert old.amounts.tax == 6784  # 745.50 x 13% x 70% = 67.8405
    assert new.amounts.tax == 4697  # 745.50 x 9% x 70% = 46.9665
    assert old.amounts.lines[0].tax_rate_id != new.amounts.lines[0].tax_rate_id


def test_an_order_records_the_rule_rows_it_was_priced_by(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE)
    order = place(api, buyer_with_identity(api), [(wine["id"], 1)]).json()

    async def ids(session):
        from kuajing.compliance import repository

        def find(table, **match):
            return [
                r["id"]
                for r in rows[table]
                if all(r[k] == v for k, v in match.items()) and r["effective_to"] is None
            ]

        rows = {
            name: await repository.rule_rows(session, name, spec.columns) for name, spec in TABLES.items()
        }
        return (
            find("tax_rules", hs_prefix="220421"),
            find("positive_list_entries", hs_prefix="220421"),
            find("origin_tariffs", origin="US"),
        )

    (tax_id,), (entry_id,), tariff_ids = in_db(app, ids, write=False)
    assert order["lines"][0]["rules"] == {
        "tax_rule_id": tax_id,
        "positive_list_entry_id": entry_id,
        "origin_tariff_ids": tariff_ids,
    }
    assert len(tariff_ids) == 1


@pytest.mark.once  # its own SQLite file, whatever the pass's database
def test_the_packaged_loader_skips_a_row_that_would_overlap_an_operators_row(tmp_path):
    from kuajing import migrations
    from kuajing.compliance import service as compliance_service

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrations.upgrade(url)
    # an operator's wine row from 2019-01-01, open-ended, where the package has one from 2019-04-01
    add_rows(url, "tax_rules", [tax_row("220421", start=date(2019, 1, 1))])
    added = in_db(url, lambda session: compliance_service.sync_packaged_rules(session, rules=None))
    assert added["skipped_packaged_rules"] == 1
    assert added["tax_rules"] == len(parse(packaged_text(TAX)).rows) - 1
    exported = export_all(url)["tax_rules"]
    assert [line.split(",")[6] for line in exported.splitlines() if line.startswith("220421,")] == [
        "2019-01-01"
    ]
