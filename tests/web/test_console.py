"""The operator console's pages (kuajing/web/console.py) over HTTP, as an operator's browser
without JavaScript uses them: who may see them; the rate page and a bad rate refused in place;
the sellers, orders (with their customs papers) and campaigns pages with their exact rows, the
paging links, the campaign form and its refusals; the jobs report and its CSV; and the answers to
addresses that name nothing."""

import csv
import html
import io
import re
import uuid
from datetime import datetime

import httpx
import httpx2
import pytest

from kuajing.kit.time import BEIJING
from tests.auth.factories import Account, buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product, create_sweater
from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD
from tests.flash_sale.factories import create_campaign, create_deal, purchase
from tests.helpers import visitor
from tests.order.factories import place
from tests.web.factories import csrf_of, sign_up, signed_in

# One $30.00 bottle with $5.00 shipping at FX 7.1000 (see test_buying), as English writes yuan.
ONE_WINE_TOTAL = "CN¥292.96"
NOT_A_PAGE = "There is no page at this address."
UNREADABLE = "This address carries a value the page cannot read."


def _signed_in_operator(api: httpx.Client) -> httpx2.Client:
    browser = visitor(api)
    form = browser.get("/login")
    answer = browser.post(
        "/login", data={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD, "csrf_token": csrf_of(form)}
    )
    assert answer.status_code == 303
    return browser


@pytest.fixture
def operator(api, operator_token):
    browser = _signed_in_operator(api)
    yield browser
    browser.close()


def _text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities read, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _row(page: httpx2.Response, kind: str, key: object) -> str:
    match = re.search(rf'<tr data-{kind}="{key}">(.*?)</tr>', page.text, re.S)
    assert match, f"no {kind} row {key} on the page"
    return _text(match.group(1))


def _keys(page: httpx2.Response, kind: str) -> list[int]:
    """The rows' ids, in the page's order."""
    return [int(key) for key in re.findall(rf'<tr data-{kind}="(\d+)">', page.text)]


def _newest_campaign(operator: httpx2.Client) -> int:
    """The campaign the console lists first: the newest, whatever ids a sequence skipped."""
    return _keys(operator.get("/console/campaigns"), "campaign")[0]


def _next_href(page: httpx2.Response) -> str | None:
    match = re.search(r'<a rel="next" href="([^"]+)">', page.text)
    return html.unescape(match.group(1)) if match else None


def _beijing(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _paid(api: httpx.Client, buyer: Account, order_id: int) -> dict:
    answer = api.post(f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "paid"
    return answer.json()


# -- who may look ----------------------------------------------------------------------------


def test_the_rate_page_is_for_operators_only(api, operator_token):
    with visitor(api) as anonymous:
        answer = anonymous.get("/console/fx")
        assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=%2Fconsole%2Ffx")
        sign_up(anonymous)  # now a buyer
        forbidden = anonymous.get("/console/fx")
        assert forbidden.status_code == 403
        assert "This page is for another kind of account." in forbidden.text


CONSOLE_PAGES = [
    "/console/sellers",
    "/console/orders",
    "/console/orders/1",
    "/console/orders/1/customs/CEB311.xml",
    "/console/campaigns",
]


def test_the_pages_send_the_anonymous_to_sign_in_and_refuse_buyers_and_sellers(api, operator_token):
    with visitor(api) as anonymous:
        for path in CONSOLE_PAGES:
            answer = anonymous.get(path)
            assert (answer.status_code, answer.headers["location"]) == (
                303,
                "/login?next=" + path.replace("/", "%2F"),
            )
        sign_up(anonymous)  # now a buyer
        for path in CONSOLE_PAGES:
            forbidden = anonymous.get(path)
            assert forbidden.status_code == 403, path
            assert "This page is for another kind of account." in forbidden.text

    seller = seller_with_profile(api)
    with signed_in(api, seller) as browser:
        for path in CONSOLE_PAGES:
            forbidden = browser.get(path)
            assert forbidden.status_code == 403, path
            assert "This page is for another kind of account." in forbidden.text


def test_a_seller_cannot_create_a_campaign_with_the_form(api, operator, operator_token):
    # given a campaign the API made, so the next id is known
    latest = create_campaign(api, operator_token, name="before the seller's form")
    seller = seller_with_profile(api)
    with signed_in(api, seller) as browser:
        form = browser.get("/login")  # a form of this site: a good CSRF token
        # when
        answer = browser.post(
            "/console/campaigns",
            data={
                "csrf_token": csrf_of(form),
                "name": "a seller's own sale",
                "starts_at": "2031-11-11T00:00",
                "ends_at": "2031-11-12T00:00",
            },
        )
    # then
    assert answer.status_code == 403
    assert "This page is for another kind of account." in answer.text
    assert _newest_campaign(operator) == latest["id"]


# -- the sub-navigation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/console/fx",
        "/console/sellers",
        "/console/orders",
        "/console/campaigns",
        "/console/ledger",
        "/console/payouts",
        "/console/jobs",
    ],
)
def test_every_console_page_links_the_others_and_marks_itself(operator, path):
    page = operator.get(path)
    assert page.status_code == 200
    nav = re.search(r'<nav class="sections" aria-label="Operator console">(.*?)</nav>', page.text, re.S)
    assert nav
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav.group(1))
    assert [(href, label) for href, _current, label in links] == [
        ("/console/fx", "FX rate"),
        ("/console/sellers", "Sellers"),
        ("/console/orders", "Orders"),
        ("/console/campaigns", "Campaigns"),
        ("/console/ledger", "Ledger"),
        ("/console/payouts", "Payouts"),
        ("/console/jobs", "Jobs report"),
    ]
    assert [href for href, marked, _label in links if marked] == [path]
    # the header leads an operator to the console, not to a buyer's orders
    assert '<a href="/console/orders">Operator console</a>' in page.text and "My orders" not in page.text


# -- the FX rate -----------------------------------------------------------------------------


def test_a_bad_rate_is_refused_on_the_form_and_the_rate_stays(api, operator_token):
    operator = _signed_in_operator(api)
    try:
        page = operator.get("/console/fx")
        assert "1 USD = 7.1000 CNY" in page.text
        refused = operator.post("/console/fx", data={"rate": "-3", "csrf_token": csrf_of(page)})
        assert refused.status_code == 422
        assert 'value="-3"' in refused.text
        assert "Enter a rate above 0" in refused.text
        assert "1 USD = 7.1000 CNY" in refused.text
        assert api.get("/api/v1/fx-rates/USD-CNY").json()["rate"] == "7.1000"
        history = re.findall(r"<td>(\d+\.\d{4})</td>", refused.text)
        assert history and history[0] == "7.1000"
    finally:
        operator.close()


# -- sellers ---------------------------------------------------------------------------------


def test_the_sellers_page_lists_the_newest_first_with_products_and_customs_code(api, operator):
    # given a Washington seller with three products (one a sweater in three sizes: one product),
    # then a New York one with a customs code and none
    orchard = seller_with_profile(api, state="WA")
    create_product(api, orchard)
    create_product(api, orchard)
    create_sweater(api, orchard)
    winery = seller_with_profile(api, state="NY")
    coded = api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Finger Lakes Cellars Inc.",
            "us_state": "NY",
            "employees": 31,
            "shipping_fee": {"amount": 800, "currency": "USD"},
            "customs_code": "kjtest0001",
        },
        headers=winery.headers,
    )
    assert coded.status_code == 200, coded.text

    # when
    page = operator.get("/console/sellers")

    # then
    assert page.status_code == 200
    assert _keys(page, "seller")[:2] == [winery.id, orchard.id]
    assert (
        _row(page, "seller", winery.id)
        == f"#{winery.id} Finger Lakes Cellars Inc. New York 31 KJTEST0001 0 approved"
    )
    assert (
        _row(page, "seller", orchard.id) == f"#{orchard.id} Test Winery LLC Washington 12 Not set 3 approved"
    )


def test_the_sellers_page_pages_with_a_next_link(api, operator):
    first = seller_with_profile(api)
    second = seller_with_profile(api)

    page = operator.get("/console/sellers?limit=1")
    assert _keys(page, "seller") == [second.id]
    following = _next_href(page)
    assert following is not None and following.startswith("/console/sellers?limit=1&cursor=")

    after = operator.get(following)
    assert after.status_code == 200
    assert _keys(after, "seller") == [first.id]


# -- orders ----------------------------------------------------------------------------------


def _two_orders(api: httpx.Client) -> tuple[Account, dict, dict]:
    """A seller, then an unpaid order of one bottle and a paid one, in that order."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    waiter = buyer_with_identity(api)
    waiting = place(api, waiter, [(wine["id"], 1)])
    assert waiting.status_code == 201, waiting.text
    payer = buyer_with_identity(api)
    placed = place(api, payer, [(wine["id"], 1)])
    assert placed.status_code == 201, placed.text
    # each with its buyer as the console names them: name, email and id
    return (
        seller,
        {**waiting.json(), "buyer_named": f"李娜 <{waiter.email}> #{waiter.id}"},
        {**_paid(api, payer, placed.json()["id"]), "buyer_named": f"李娜 <{payer.email}> #{payer.id}"},
    )


def test_the_orders_page_lists_every_order_newest_first_with_its_yuan_total(api, operator):
    # given
    seller, waiting, paid = _two_orders(api)
    assert waiting["total"] == {"amount": 29296, "currency": "CNY"}

    # when
    page = operator.get("/console/orders")

    # then
    assert page.status_code == 200
    assert _keys(page, "order")[:2] == [paid["id"], waiting["id"]]
    assert _row(page, "order", waiting["id"]) == (
        f"#{waiting['id']} {waiting['buyer_named']} Test Winery LLC #{seller.id} Awaiting payment "
        f"{ONE_WINE_TOTAL} {_beijing(waiting['created_at'])}"
    )
    assert _row(page, "order", paid["id"]) == (
        f"#{paid['id']} {paid['buyer_named']} Test Winery LLC #{seller.id} Paid {ONE_WINE_TOTAL} "
        f"{_beijing(paid['created_at'])}"
    )
    assert f'<a href="/console/orders/{paid["id"]}">#{paid["id"]}</a>' in page.text
    assert '<option value="" selected>' not in page.text  # "all" is chosen by having no choice
    assert '<option value="paid" selected>' not in page.text


def test_the_status_filter_shows_only_orders_in_that_status(api, operator):
    _seller, waiting, paid = _two_orders(api)

    only_paid = operator.get("/console/orders?status=paid")
    assert only_paid.status_code == 200
    assert _keys(only_paid, "order")[0] == paid["id"]
    assert waiting["id"] not in _keys(only_paid, "order")
    assert '<option value="paid" selected>Paid</option>' in only_paid.text

    only_waiting = operator.get("/console/orders?status=pending_payment")
    assert _keys(only_waiting, "order")[0] == waiting["id"]
    assert paid["id"] not in _keys(only_waiting, "order")

    everything = operator.get("/console/orders?status=")  # the select's "All statuses"
    assert everything.status_code == 200
    assert _keys(everything, "order")[:2] == [paid["id"], waiting["id"]]


def test_the_orders_page_pages_with_a_next_link_that_keeps_the_filter(api, operator):
    # an older unpaid order, so that the unpaid orders fill more than one page of one (the test
    # used to count on unpaid orders that earlier tests had left in the shared database)
    _two_orders(api)
    _seller, waiting, paid = _two_orders(api)

    page = operator.get("/console/orders?limit=1")
    assert _keys(page, "order") == [paid["id"]]
    following = _next_href(page)
    assert following is not None and following.startswith("/console/orders?limit=1&cursor=")
    assert _keys(operator.get(following), "order") == [waiting["id"]]

    filtered = operator.get("/console/orders?status=pending_payment&limit=1")
    assert _keys(filtered, "order") == [waiting["id"]]
    following = _next_href(filtered)
    assert following is not None and following.startswith(
        "/console/orders?status=pending_payment&limit=1&cursor="
    )
    assert paid["id"] not in _keys(operator.get(following), "order")


def test_an_order_page_shows_its_lines_timeline_and_customs_messages_with_their_xml(
    api, operator, operator_token
):
    # given a paid order of a seller without a customs code: its CEB311 and CEB411 drafted, held
    seller, _waiting, paid = _two_orders(api)
    wine_sku = api.get(f"/api/v1/products/{paid['lines'][0]['product_id']}").json()["sku"]
    as_api = api.get(f"/api/v1/orders/{paid['id']}", headers=operator_headers(operator_token)).json()
    customs = api.get(f"/api/v1/orders/{paid['id']}/customs", headers=operator_headers(operator_token)).json()
    assert [message["type"] for message in customs["messages"]] == ["CEB311", "CEB411"]

    # when
    page = operator.get(f"/console/orders/{paid['id']}")

    # then
    assert page.status_code == 200
    assert '<a href="/console/orders" aria-current="true">Orders</a>' in page.text
    facts = re.search(r'<table class="breakdown facts">(.*?)</table>', page.text, re.S)
    assert facts and _text(facts.group(1)) == (
        f"Status Paid Buyer {paid['buyer_named']} Seller Test Winery LLC #{seller.id} "
        f"Placed (Beijing time) {_beijing(paid['created_at'])} FX rate (CNY per USD) 7.1000"
    )
    assert _text(page.text).count(f"Total {ONE_WINE_TOTAL}") == 1
    line = re.search(r'<tr data-product="\d+">(.*?)</tr>', page.text, re.S)
    assert line and _text(line.group(1)) == (
        f"Napa Valley Cabernet Sauvignon 2021 {wine_sku} 2204.21 1 CN¥213.00 CN¥213.00 CN¥44.46"
    )
    timeline = re.search(r'<ol class="timeline">(.*?)</ol>', page.text, re.S)
    assert timeline
    assert [_text(item) for item in re.findall(r"<li>(.*?)</li>", timeline.group(1), re.S)] == [
        f"{_beijing(event['created_at'])} {status}: {event['reason']} (by user #{paid['buyer_id']})"
        for event, status in zip(as_api["events"], ["Awaiting payment", "Paid"], strict=True)
    ]
    for message in customs["messages"]:
        kind = message["type"]
        assert _row(page, "message", kind) == (
            f"{kind} Draft {message['guid']} {_beijing(message['created_at'])} — — View {kind} XML"
        )
        assert f'href="/console/orders/{paid["id"]}/customs/{kind}.xml"' in page.text
    assert _text(page.text).count("Held back: the seller has no customs code (ebcCode) yet") == 2
    assert "This order has no customs messages." not in page.text

    # and the XML link serves what the API serves, to the session cookie
    for kind in ("CEB311", "CEB411"):
        xml = operator.get(f"/console/orders/{paid['id']}/customs/{kind}.xml")
        assert xml.status_code == 200
        assert xml.headers["content-type"] == "application/xml"
        from_api = api.get(
            f"/api/v1/orders/{paid['id']}/customs/{kind}.xml", headers=operator_headers(operator_token)
        )
        assert from_api.status_code == 200
        assert xml.content == from_api.content
        assert f"<ceb:{kind}Message".encode() in xml.content


def test_an_unpaid_order_says_it_has_no_customs_messages(api, operator):
    _seller, waiting, _paid_order = _two_orders(api)

    page = operator.get(f"/console/orders/{waiting['id']}")

    assert page.status_code == 200
    assert "This order has no customs messages." in page.text
    assert 'data-message="' not in page.text
    missing = operator.get(f"/console/orders/{waiting['id']}/customs/CEB311.xml")
    assert missing.status_code == 404
    assert NOT_A_PAGE in missing.text


@pytest.mark.parametrize(
    "path",
    [
        "/console/orders/2147483647",
        "/console/orders/0",
        "/console/orders/abc",
        "/console/orders/2147483648",
        "/console/orders/2147483647/customs/CEB311.xml",
    ],
)
def test_an_order_that_does_not_exist_is_a_404_page(operator, path):
    answer = operator.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert NOT_A_PAGE in answer.text


def test_a_customs_type_that_does_not_exist_is_a_404_page(api, operator):
    _seller, _waiting, paid = _two_orders(api)
    for kind in ("CEB999", "CEB511", "x" * 17):  # no such type; not drafted until shipped; too long
        answer = operator.get(f"/console/orders/{paid['id']}/customs/{kind}.xml")
        assert answer.status_code == 404, kind
        assert NOT_A_PAGE in answer.text


@pytest.mark.parametrize(
    "query",
    [
        "/console/orders?status=shipped_to_mars",
        "/console/orders?status=PAID",
        "/console/orders?cursor=not-a-cursor",
        "/console/orders?cursor=cGFnZTo1",  # base64 of "page:5": readable, but not ours
        "/console/orders?cursor=" + "A" * 65,
        "/console/orders?limit=0",
        "/console/orders?limit=101",
        "/console/orders?limit=ten",
        "/console/sellers?cursor=not-a-cursor",
        "/console/sellers?limit=0",
        "/console/campaigns?cursor=not-a-cursor",
        "/console/campaigns?limit=1000",
    ],
)
def test_a_query_the_page_cannot_read_is_a_400_page(operator, query):
    answer = operator.get(query)
    assert answer.status_code == 400
    assert UNREADABLE in answer.text


# -- campaigns -------------------------------------------------------------------------------


def _campaign_form(operator: httpx2.Client, **fields: str) -> httpx2.Response:
    page = operator.get("/console/campaigns")
    return operator.post("/console/campaigns", data={"csrf_token": csrf_of(page), **fields})


def test_a_campaign_created_on_the_form_is_listed_and_read_as_beijing_time(api, operator, operator_token):
    # given
    name = f"Console 11.11 {uuid.uuid4().hex[:6]}"

    # when
    created = _campaign_form(
        operator, name=f"  {name} ", starts_at="2031-11-11T00:00", ends_at="2031-11-12T00:00"
    )

    # then
    assert (created.status_code, created.headers["location"]) == (303, "/console/campaigns")
    page = operator.get("/console/campaigns")
    campaign_id = _keys(page, "campaign")[0]
    assert _row(page, "campaign", campaign_id) == (
        f"#{campaign_id} {name} 2031-11-11 00:00 2031-11-12 00:00 0 0 0 CN¥0.00"
    )
    stats = api.get(f"/api/v1/campaigns/{campaign_id}/stats")
    assert stats.json() == {"orders": 0, "units": 0, "gmv": {"amount": 0, "currency": "CNY"}}
    # the API's deals carry the campaign's window: the form's times were Beijing time
    seller = seller_with_profile(api)
    deal = create_deal(api, seller, campaign_id, create_product(api, seller)["id"])
    assert (deal["starts_at"], deal["ends_at"]) == ("2031-11-11T00:00:00+08:00", "2031-11-12T00:00:00+08:00")
    assert _row(operator.get("/console/campaigns"), "campaign", campaign_id) == (
        f"#{campaign_id} {name} 2031-11-11 00:00 2031-11-12 00:00 1 0 0 CN¥0.00"
    )


def test_the_campaigns_page_counts_deals_units_and_gmv_as_the_api_does(api, operator, operator_token):
    # given a live campaign with two deals, and a buyer who takes two units of the $20.00 one
    campaign = create_campaign(api, operator_token, name="Console live sale")
    seller = seller_with_profile(api)
    cheap = create_deal(api, seller, campaign["id"], create_product(api, seller)["id"], price_cents=2000)
    create_deal(api, seller, campaign["id"], create_product(api, seller)["id"], price_cents=2500)
    bought = purchase(api, buyer_with_identity(api), cheap["id"], 2)
    assert bought.status_code == 201, bought.text

    # when
    page = operator.get("/console/campaigns")

    # then: 2 x $20.00 at 7.1000 = CN¥284.00
    stats = api.get(f"/api/v1/campaigns/{campaign['id']}/stats").json()
    assert stats == {"orders": 1, "units": 2, "gmv": {"amount": 28400, "currency": "CNY"}}
    assert _row(page, "campaign", campaign["id"]) == (
        f"#{campaign['id']} Console live sale {_beijing(campaign['starts_at'])} "
        f"{_beijing(campaign['ends_at'])} 2 1 2 CN¥284.00"
    )


def test_the_campaigns_page_pages_with_a_next_link(api, operator, operator_token):
    older = create_campaign(api, operator_token, name="older")
    newer = create_campaign(api, operator_token, name="newer")

    page = operator.get("/console/campaigns?limit=1")
    assert _keys(page, "campaign") == [newer["id"]]
    following = _next_href(page)
    assert following is not None
    assert _keys(operator.get(following), "campaign") == [older["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        (
            {"name": "Ends first", "starts_at": "2031-11-12T00:00", "ends_at": "2031-11-11T00:00"},
            "ends_at",
            "A campaign must end after it starts.",
        ),
        (
            {"name": "No time at all", "starts_at": "2031-11-11T08:00", "ends_at": "2031-11-11T08:00"},
            "ends_at",
            "A campaign must end after it starts.",
        ),
        (
            {"name": "   ", "starts_at": "2031-11-11T00:00", "ends_at": "2031-11-12T00:00"},
            "name",
            "Enter the campaign's name, up to 100 characters.",
        ),
        (
            {"name": "x" * 101, "starts_at": "2031-11-11T00:00", "ends_at": "2031-11-12T00:00"},
            "name",
            "Enter the campaign's name, up to 100 characters.",
        ),
        (
            {"name": "bell\x07", "starts_at": "2031-11-11T00:00", "ends_at": "2031-11-12T00:00"},
            "name",
            "Enter the campaign's name, up to 100 characters.",
        ),
        (
            {"name": "Month 13", "starts_at": "2031-13-45T00:00", "ends_at": "2031-11-12T00:00"},
            "starts_at",
            "Enter a date and time in the years 2000 to 2100, such as 2026-11-11 00:00.",
        ),
        (
            {"name": "Words", "starts_at": "2031-11-11T00:00", "ends_at": "next Tuesday"},
            "ends_at",
            "Enter a date and time in the years 2000 to 2100, such as 2026-11-11 00:00.",
        ),
        (
            {"name": "Too early", "starts_at": "0001-01-01T00:00", "ends_at": "2031-11-12T00:00"},
            "starts_at",
            "Enter a date and time in the years 2000 to 2100, such as 2026-11-11 00:00.",
        ),
        (
            {"name": "With an offset", "starts_at": "2031-11-11T00:00+00:00", "ends_at": "2031-11-12T00:00"},
            "starts_at",
            "Enter a date and time in the years 2000 to 2100, such as 2026-11-11 00:00.",
        ),
    ],
)
def test_a_refused_campaign_form_comes_back_with_the_reason_and_what_was_typed(
    api, operator, operator_token, fields, field, reason
):
    # given a campaign the API made, so the next id is known
    latest = create_campaign(api, operator_token, name="before the refused form")

    # when
    refused = _campaign_form(operator, **fields)

    # then
    assert refused.status_code == 422
    errors = re.findall(r'<p class="error"[^>]*role="alert">(.*?)</p>', refused.text, re.S)
    assert [_text(error) for error in errors] == [reason]
    assert re.search(rf'<input id="{field}" name="{field}"[^>]* aria-invalid="true"', refused.text)
    for name, typed in fields.items():
        assert f'name="{name}"' in refused.text
        assert f'value="{html.escape(typed)}"' in refused.text, name
    # and nothing was created
    assert _keys(refused, "campaign")[0] == latest["id"]
    assert _newest_campaign(operator) == latest["id"]


def test_a_campaign_form_missing_every_field_names_each_one(api, operator, operator_token):
    latest = create_campaign(api, operator_token, name="before the empty form")

    refused = _campaign_form(operator)

    assert refused.status_code == 422
    for field in ("name", "starts_at", "ends_at"):
        assert re.search(rf'<input id="{field}" name="{field}"[^>]* aria-invalid="true"', refused.text)
    assert _text(refused.text).count("Enter a date and time") == 2
    assert _newest_campaign(operator) == latest["id"]


def test_a_campaign_form_without_its_csrf_token_creates_nothing(api, operator, operator_token):
    latest = create_campaign(api, operator_token, name="before the forged form")

    forged = operator.post(
        "/console/campaigns",
        data={
            "csrf_token": "x" * 40,
            "name": "Forged",
            "starts_at": "2031-11-11T00:00",
            "ends_at": "2031-11-12T00:00",
        },
    )

    assert forged.status_code == 403
    assert "The form expired or did not come from this site." in forged.text
    assert _newest_campaign(operator) == latest["id"]


def test_the_campaign_form_asks_for_beijing_date_times(operator):
    page = operator.get("/console/campaigns")
    assert '<input id="starts_at" name="starts_at" type="datetime-local" value=""' in page.text
    assert '<input id="ends_at" name="ends_at" type="datetime-local" value=""' in page.text
    assert "Starts (Beijing time)" in page.text


# -- the jobs report -------------------------------------------------------------------------


def test_the_jobs_report_page_and_its_csv_say_what_the_api_says(api, operator_token):
    seller = seller_with_profile(api, state="WA")
    buyer = buyer_with_identity(api)
    wine = create_product(api, seller)
    order = place(api, buyer, [(wine["id"], 1)]).json()  # paid, so Washington has export sales
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.json()["status"] == "paid"
    expected = api.get("/api/v1/impact/jobs", headers={"Authorization": f"Bearer {operator_token}"}).json()

    operator = _signed_in_operator(api)
    try:
        page = operator.get("/console/jobs")
        assert page.status_code == 200
        assert f'<strong id="jobs">{expected["jobs_supported"]:,.4f}</strong>' in page.text
        washington = next(line for line in expected["by_state"] if line["state"] == "WA")
        assert '<tr data-state="WA"><td>Washington</td>' in page.text
        assert f"{washington['jobs_supported']:,.4f}</td></tr>" in page.text
        assert "International Trade Administration" in page.text  # the method, in words

        sheet = operator.get("/console/jobs.csv")
        assert sheet.headers["content-type"].startswith("text/csv")
        assert "attachment" in sheet.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(sheet.text)))
        assert rows[0] == ["state", "export_sales_usd", "jobs_supported"]
        by_state = {row[0]: row for row in rows[1 : 1 + len(expected["by_state"])]}
        assert by_state["WA"] == [
            "WA",
            f"{washington['export_sales']['amount'] / 100:.2f}",
            f"{washington['jobs_supported']:.4f}",
        ]
        total = rows[1 + len(expected["by_state"])]
        assert total == [
            "total",
            f"{expected['export_sales']['amount'] / 100:.2f}",
            f"{expected['jobs_supported']:.4f}",
        ]
    finally:
        operator.close()

    with visitor(api, {"kj_session": buyer.token}) as browser:
        assert browser.get("/console/jobs.csv").status_code == 403
