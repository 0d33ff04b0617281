"""The books written as a Beancount file after money has moved through the app: Beancount loads
the file without an error, the balances it computes are the ledger's trial balance account by
account, and the same books give the same file whatever the page size."""

import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import realization
from beancount.core.data import Open, Transaction

from kuajing.kit.time import beijing_date
from kuajing.ledger import repository, service
from kuajing.ledger.accounts import CHART
from kuajing.ledger.beancount import account_name
from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.ledger.invariants import check_books
from tests.order.factories import place


def _export(app, path: Path, **options) -> service.Export:
    async def write(session):
        with path.open("w", encoding="utf-8", newline="\n") as file:
            return await service.write_beancount(session, file, **options)

    return app.run(write, write=False)


@pytest.fixture
def moved(app, api):
    """The worked example paid through the sandbox (2 bottles at $30.00 + $5.00 freight at
    7.1000 = 544.05 CNY), one bottle refunded before shipping, then shipped and delivered: the
    seller, the order and each entry's Beijing date by kind."""
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    order_id = order["id"]
    paid = api.post(f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    refunded = api.post(
        f"/api/v1/orders/{order_id}/refunds",
        json={"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "一瓶破损"},
        headers=seller.headers,
    )
    assert refunded.status_code == 201, refunded.text
    shipped = api.post(
        f"/api/v1/orders/{order_id}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text
    delivered = api.post(f"/api/v1/orders/{order_id}/deliver", headers=seller.headers)
    assert delivered.status_code == 200, delivered.text
    check_books(app)
    return seller, order_id, refunded.json()["id"]


def test_the_exported_books_load_in_beancount_and_balance_as_the_trial_balance(
    app, api, operator_token, moved, tmp_path
):
    seller, order_id, refund_id = moved
    ops = operator_headers(operator_token)
    posted = api.get(f"/api/v1/ledger/orders/{order_id}", headers=ops).json()["items"]
    days = {line["kind"]: beijing_date(datetime.fromisoformat(line["occurred_at"])) for line in posted}
    trial = api.get("/api/v1/ledger/trial-balance", headers=ops).json()
    path = tmp_path / "kuajing.beancount"

    # when: two entries a page, so the three of this test's order span pages
    written = _export(app, path, page=2)

    # then
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert (options["title"], options["operating_currency"]) == ("Kuajing platform ledger", ["USD", "CNY"])
    transactions = [entry for entry in entries if isinstance(entry, Transaction)]
    assert written.entries == len(transactions)
    assert written.accounts == len([entry for entry in entries if isinstance(entry, Open)])

    seller_pending = f"Liabilities:Kuajing:SellerPending:Seller{seller.id}"
    seller_payable = f"Liabilities:Kuajing:SellerPayable:Seller{seller.id}"
    ours = [t for t in transactions if t.meta.get("order") == str(order_id)]
    assert [(t.date, t.flag, t.meta["kind"], t.narration) for t in ours] == [
        (days["capture"], "*", "capture", f"order {order_id} paid through sandbox"),
        (days["refund"], "*", "refund", f"refund {refund_id} of order {order_id} through sandbox"),
        (
            days["delivery"],
            "*",
            "delivery",
            f"order {order_id} delivered: the seller's dollars become payable",
        ),
    ]
    assert [[(p.account, p.units.number, p.units.currency, p.price) for p in t.postings] for t in ours] == [
        [
            ("Assets:Kuajing:ProviderClearing:Sandbox", Decimal("544.05"), "CNY", None),
            ("Liabilities:Kuajing:CbecTaxPayable", Decimal("-82.55"), "CNY", None),
            ("Equity:Kuajing:FxConversion", Decimal("-461.50"), "CNY", None),
            ("Equity:Kuajing:FxConversion", Decimal("65.00"), "USD", None),
            ("Income:Kuajing:CommissionRevenue", Decimal("-3.00"), "USD", None),
            (seller_pending, Decimal("-62.00"), "USD", None),
        ],
        # one bottle of two: goods 213.00 + half the freight 17.75 + tax 41.28 = 272.03 CNY;
        # $30.00 + $2.50 back from the seller's $62.00 less its $1.50 commission
        [
            ("Assets:Kuajing:ProviderClearing:Sandbox", Decimal("-272.03"), "CNY", None),
            ("Liabilities:Kuajing:CbecTaxPayable", Decimal("41.28"), "CNY", None),
            ("Equity:Kuajing:FxConversion", Decimal("230.75"), "CNY", None),
            ("Equity:Kuajing:FxConversion", Decimal("-32.50"), "USD", None),
            ("Income:Kuajing:CommissionRevenue", Decimal("1.50"), "USD", None),
            (seller_pending, Decimal("31.00"), "USD", None),
        ],
        [
            (seller_pending, Decimal("31.00"), "USD", None),
            (seller_payable, Decimal("-31.00"), "USD", None),
        ],
    ]

    # Beancount's balances, each chart account with its parties, are the trial balance's
    real = realization.realize(entries)
    computed = {}
    for code in CHART:
        found = realization.get(real, account_name(code))
        for position in realization.compute_balance(found) if found is not None else ():
            computed[(code, position.units.currency)] = position.units.number
    expected = {
        (row["code"], row["currency"]): Decimal(row["debit"] - row["credit"]) / 100
        for row in trial["accounts"]
        if row["debit"] != row["credit"]
    }
    assert trial["balanced"] is True
    assert computed == expected
    assert realization.compute_balance(realization.get(real, seller_payable)).to_string() == "(-31.00 USD)"
    assert realization.compute_balance(realization.get(real, seller_pending)).is_empty()


def test_the_same_books_give_the_same_file_whatever_the_page_and_bean_check_accepts_it(app, moved, tmp_path):
    paged, whole = tmp_path / "paged.beancount", tmp_path / "whole.beancount"
    seen: list[tuple[int, int]] = []

    by_one = _export(app, paged, page=1, progress=lambda written, total: seen.append((written, total)))
    at_once = _export(app, whole)

    assert by_one == at_once
    assert paged.read_bytes() == whole.read_bytes()
    total = by_one.entries
    assert seen == [(written, total) for written in range(total + 1)]
    bean_check = Path(sys.executable).with_name("bean-check")
    if not bean_check.exists():
        pytest.skip(f"no {bean_check}: pip install -e '.[test]'")
    checked = subprocess.run([str(bean_check), str(whole)], capture_output=True, text=True)
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "", "")


def test_an_entry_on_an_account_the_file_has_not_opened_stops_the_export(app, moved, tmp_path, monkeypatch):
    # given: the accounts read before the delivery committed, as on PostgreSQL (read committed) an
    # entry committing under an earlier id can be
    seller, order_id, _refund_id = moved
    read_accounts = repository.accounts_used

    async def before_the_delivery(session, *, through_id):
        rows = await read_accounts(session, through_id=through_id)
        return [row for row in rows if row[:2] != ("seller_payable", str(seller.id))]

    monkeypatch.setattr(repository, "accounts_used", before_the_delivery)

    # when
    with pytest.raises(service.LedgerChanged) as raised:
        _export(app, tmp_path / "kuajing.beancount")

    # then
    assert raised.value.message == (
        f"Entry deliver:order:{order_id} posts to Liabilities:Kuajing:SellerPayable:Seller{seller.id} USD, "
        "which the file has not opened: the ledger changed during the export. Export again."
    )
