"""The console's books and payouts (kuajing/web/console_money.py) and an order's money on its
console page: the operator reads every journal line of a paid order, a trial balance that
balances, the refused notifications, and runs payouts with a button that yields the bank file."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from kuajing.kit.time import BEIJING
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.helpers import visitor
from tests.order.return_factories import delivered_order, set_delivered_at
from tests.web.factories import csrf_of, signed_in


@pytest.fixture
def operator(api, operator_token):
    browser = visitor(api)
    form = browser.get("/login")
    answer = browser.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf_token": csrf_of(form)}
    )
    assert answer.status_code == 303
    yield browser
    browser.close()


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _rows(page, selector: str) -> list[str]:
    return [_text(row) for row in re.findall(rf"<tr {selector}[^>]*>(.*?)</tr>", page.text, re.S)]


def test_an_orders_console_page_shows_its_payment_and_every_journal_line(api, operator):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    page = operator.get(f"/console/orders/{order['id']}")
    assert page.status_code == 200
    (payment,) = _rows(page, "data-payment=")
    assert payment.startswith("#") and "sandbox captured CN¥544.05 CN¥0.00" in payment
    lines = _rows(page, "data-account=")
    assert [re.sub(r"#\d+", "#", line) for line in lines] == [
        "capture # provider_clearing sandbox CN¥544.05",
        "capture # cbec_tax_payable — CN¥82.55",
        "capture # fx_conversion — CN¥461.50",
        "capture # fx_conversion — $65.00",
        "capture # commission_revenue — $3.00",
        "capture # seller_pending Test Winery LLC # $62.00",  # the seller named, with its id
        "delivery # seller_pending Test Winery LLC # $62.00",
        "delivery # seller_payable Test Winery LLC # $62.00",
    ]
    # the seller sees the order's dollars and the day its return window closes (Beijing time)
    window_closes = (datetime.fromisoformat(order["delivered_at"]) + timedelta(days=30)).astimezone(BEIJING)
    with signed_in(api, seller) as portal:
        (owed,) = _rows(portal.get("/seller/payouts"), "data-owed=")
        assert owed == f"#{order['id']} $62.00 from {window_closes:%Y-%m-%d %H:%M}"


def test_the_trial_balance_balances_and_payouts_run_from_a_button(api, app, operator):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    ledger = operator.get("/console/ledger")
    assert ledger.status_code == 200
    totals = _rows(ledger, "data-total=")
    assert [row.split()[-1] for row in totals] == ["balanced", "balanced"]

    set_delivered_at(app, order["id"], datetime.now(UTC) - timedelta(days=31))
    with signed_in(api, seller) as early:
        owed = early.get("/seller/payouts")
        # before the run: the order can be paid out at the next payout
        assert _rows(owed, "data-owed=") == [f"#{order['id']} $62.00 at the next payout"]
    page = operator.get("/console/payouts")
    assert 'value="50.00"' in page.text
    bad = operator.post("/console/payouts", data={"minimum": "fifty", "csrf_token": csrf_of(page)})
    assert bad.status_code == 422 and 'value="fifty"' in bad.text
    ran = operator.post("/console/payouts", data={"minimum": "60", "csrf_token": csrf_of(page)})
    assert ran.status_code == 200
    batch_id = re.search(r'<p class="notice" role="status" data-batch="(\d+)">', ran.text).group(1)
    notice = _text(re.search(r'data-batch="\d+">(.*?)</p>', ran.text, re.S).group(1))
    assert notice.startswith(f"Batch #{batch_id}:") and "Download the bank file" in notice
    bank = operator.get(f"/console/payouts/{batch_id}/bank-file.csv")
    assert bank.status_code == 200
    rows = bank.text.splitlines()
    assert rows[0] == "payout_id,seller_id,beneficiary,amount,currency,reference"
    (winery,) = [row for row in rows[1:] if row.split(",")[1] == str(seller.id)]
    assert winery.split(",")[2:5] == ["Test Winery LLC", "62.00", "USD"]

    with signed_in(api, seller) as portal:
        payouts = portal.get("/seller/payouts")
        assert payouts.status_code == 200
        assert _rows(payouts, "data-owed=") == []
        assert _rows(payouts, "data-balance=") == [
            "Pending $0.00",
            "Available for the next payout $0.00",
            "Paid to you $62.00",
        ]
        (listed,) = re.findall(r'<tr data-payout="(\d+)">', payouts.text)
        statement = portal.get(f"/seller/payouts/{listed}")
        assert _rows(statement, "data-order=")[0].endswith("$60.00 $5.00 −$3.00 $62.00")
        assert (
            portal.get(f"/seller/payouts/{listed}/statement.csv").text.splitlines()[-1] == "total,,,,,,,62.00"
        )
    with signed_in(api, buyer_with_identity(api)) as stranger:
        assert stranger.get("/seller/payouts").status_code == 403
    other = seller_with_profile(api)
    with signed_in(api, other) as not_theirs:
        assert not_theirs.get(f"/seller/payouts/{listed}").status_code == 404
