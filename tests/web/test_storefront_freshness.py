"""The storefront's per-worker snapshots: what every buyer sees alike (products, prices, sellers,
search results) is kept for at most KUAJING_READ_CACHE_SECONDS, follows a write at once in the
worker that made it, and within that bound in any other worker; what is the visitor's own (the
CSRF token, who is signed in, the language) is never kept, so it never reaches another visitor.

The second-worker tests wait for the bound on purpose: they poll a second server process on the
same database until the new price shows, and fail if the old one outlives the bound.

Every test here runs against the live server (`live_api`): the in-process app keeps nothing
(read_cache_seconds=0), so only a server with the default one-second read cache has snapshots to
forget on its own writes, to share between visitors, or to outlive a write made in another
worker."""

import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest

from tests.auth.factories import Account, register, seller_with_profile
from tests.catalog.factories import create_product
from tests.conftest import EXAMPLE_FX_RATE
from tests.flash_sale.factories import create_campaign, create_deal
from tests.live import LiveServer, start_server

READ_CACHE_SECONDS = 1.0  # KUAJING_READ_CACHE_SECONDS, the default, on both servers
# A read that started before the write committed may put the old answer back for one more TTL
# from when it finishes: its own time, and a shared machine's scheduling, on top of the bound.
SLACK_SECONDS = 0.5

# DESIGN's wine, one bottle, $5.00 shipping: see tests/web/test_storefront.py for the arithmetic.
AT_7_1 = ("¥292.96", "¥44.46", "¥35.50")  # landed, tax, shipping at 7.1000
AT_7_2 = ("¥297.08", "¥45.08", "¥36.00")  # 216.00 + 36.00; consumption tax 19.60, VAT 25.48
AT_40_USD = ("¥376.66", "¥57.16", "¥35.50")  # $40.00: 284.00 + 35.50; tax 24.85 + 32.31
AT_10_USD_SHIPPING = ("¥334.81", "¥50.81", "¥71.00")  # 213.00 + 71.00; tax 22.09 + 28.72
# The same bottle on a $20.00 deal: (deal price, usual price), one unit with tax and shipping
DEAL_AT_7_1 = ("¥209.26", "¥292.96")  # 142.00 + 35.50; consumption tax 13.81, VAT 17.95
DEAL_AT_7_2 = ("¥212.20", "¥297.08")  # 144.00 + 36.00; consumption tax 14.00, VAT 18.20


@pytest.fixture(scope="module")
def second_worker(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Another server process on the test database: a worker whose snapshots the writes made
    through `live_api` cannot forget."""
    live = start_server(
        database_url,
        tmp_path_factory.mktemp("second-worker") / "server.log",
        read_cache_seconds=str(READ_CACHE_SECONDS),
        auth_cache_seconds="0",
    )
    yield live
    live.stop()


def _client(url: str) -> httpx.Client:
    """A browser of its own: its own cookies, so nothing one visitor chose follows another."""
    return httpx.Client(base_url=url, timeout=30)


def _product_total(client: httpx.Client, product_id: int) -> str:
    page = client.get(f"/products/{product_id}")
    assert page.status_code == 200, page.text
    match = re.search(r'<td class="total">([^<]+)</td>', page.text)
    assert match, "the product page shows no total"
    return match.group(1)


def _card(client: httpx.Client, q: str, product_id: int) -> tuple[str, str, str]:
    """The product's search card: landed price, import tax and shipping, as shown."""
    page = client.get("/search", params={"q": q})
    assert page.status_code == 200, page.text
    match = re.search(
        rf'<a href="/products/{product_id}">[^<]*</a></h3>\s*<p class="price">([^<]+)</p>\s*'
        r'<p class="note">含进口税 ([^、]+)、运费 ([^<]+)</p>',
        page.text,
    )
    assert match, f"no priced card for product {product_id}"
    return match.group(1), match.group(2), match.group(3)


def _deal_card(client: httpx.Client, path: str, deal_id: int) -> tuple[str, str]:
    """A deal's card on the Singles' Day page or the home page: its price and the usual one."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(
        rf'(?:id="deal-{deal_id}"|href="/singles-day#deal-{deal_id}").*?'
        r'<p class="price deal-price"><span class="visually-hidden">特价</span>([^<]+) '
        r'<s class="was"><span class="visually-hidden">原价</span>([^<]+)</s>',
        page.text,
        re.S,
    )
    assert match, f"no priced card for deal {deal_id} on {path}"
    return match.group(1), match.group(2)


def _follows(fetch: Callable[[], object], *, old: object, new: object, since: float) -> None:
    """Poll until fetch() answers `new`. Until then it may answer `old`, and only to a request
    made within the bound after `since` (when the write was answered): never another value,
    never later."""
    while True:
        asked = time.monotonic()
        seen = fetch()
        if seen == new:
            return
        assert seen == old, f"neither the old nor the new answer: {seen!r}"
        late = asked - since
        assert late < READ_CACHE_SECONDS + SLACK_SECONDS, f"still {seen!r} {late:.2f} s after the write"
        time.sleep(0.05)


def _set_fx(live_api: httpx.Client, operator_token: str, rate: str) -> float:
    response = live_api.put(
        "/api/v1/fx-rates/USD-CNY", json={"rate": rate}, headers={"Authorization": f"Bearer {operator_token}"}
    )
    assert response.status_code == 200, response.text
    return time.monotonic()


def _wine(live_api: httpx.Client) -> tuple[dict, str, Account]:
    """A $30.00 wine from a seller charging $5.00 shipping, and a search that finds only it."""
    seller = seller_with_profile(live_api)
    tag = uuid.uuid4().hex[:6]
    wine = create_product(
        live_api, seller, title={"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"}
    )
    return wine, f"葡萄酒 {tag}", seller


def _another_wine(live_api: httpx.Client, seller: Account, q: str) -> dict:
    """A second $30.00 wine that the search `q` finds too."""
    tag = q.split()[1]
    return create_product(
        live_api, seller, title={"en": f"Sonoma Merlot {tag}", "zh": f"索诺玛梅洛葡萄酒 {tag}"}
    )


def _reprice(live_api: httpx.Client, seller: Account, product_id: int, cents: int) -> float:
    patched = live_api.patch(
        f"/api/v1/products/{product_id}",
        json={"price": {"amount": cents, "currency": "USD"}},
        headers=seller.headers,
    )
    assert patched.status_code == 200, patched.text
    return time.monotonic()


def test_the_worker_that_takes_a_new_fx_rate_shows_it_on_the_next_page(live_api, operator_token):
    # given a wine whose search card and page this worker has just shown at 7.1000
    wine, q, _seller = _wine(live_api)
    assert _card(live_api, q, wine["id"]) == AT_7_1
    assert _product_total(live_api, wine["id"]) == AT_7_1[0]

    # when the operator sets 7.2000 through this worker
    _set_fx(live_api, operator_token, "7.2000")

    # then its very next pages show the new prices, no wait
    try:
        assert _card(live_api, q, wine["id"]) == AT_7_2
        assert _product_total(live_api, wine["id"]) == AT_7_2[0]
    finally:
        _set_fx(live_api, operator_token, EXAMPLE_FX_RATE)
    assert _card(live_api, q, wine["id"]) == AT_7_1


def test_deal_cards_follow_a_new_fx_rate_the_sale_s_page_at_once_the_home_page_s_within_the_bound(
    live_api, operator_token
):
    # given the wine on a $20.00 deal in a sale that has just started, both its cards shown at 7.1000
    wine, _q, seller = _wine(live_api)
    campaign = create_campaign(live_api, operator_token, starts_in=timedelta(seconds=-1), name="双11 汇率")
    deal = create_deal(live_api, seller, campaign["id"], wine["id"])
    sale_page = f"/singles-day?campaign={campaign['id']}"
    assert _deal_card(live_api, sale_page, deal["id"]) == DEAL_AT_7_1
    assert _deal_card(live_api, "/", deal["id"]) == DEAL_AT_7_1

    # when the operator sets 7.2000 through this worker
    since = _set_fx(live_api, operator_token, "7.2000")

    # then the sale's page prices it anew on the next request; the home page's featured deals,
    # kept a second for every visitor, within the bound
    try:
        assert _deal_card(live_api, sale_page, deal["id"]) == DEAL_AT_7_2
        _follows(lambda: _deal_card(live_api, "/", deal["id"]), old=DEAL_AT_7_1, new=DEAL_AT_7_2, since=since)
    finally:
        _set_fx(live_api, operator_token, EXAMPLE_FX_RATE)


def test_a_seller_s_edits_show_on_the_next_page_of_the_worker_that_saved_them(live_api):
    # given a wine this worker has shown, found by a search it has just answered
    wine, q, seller = _wine(live_api)
    assert _card(live_api, q, wine["id"]) == AT_7_1
    assert _product_total(live_api, wine["id"]) == AT_7_1[0]

    # a new price
    _reprice(live_api, seller, wine["id"], 4000)
    assert _card(live_api, q, wine["id"]) == AT_40_USD
    assert _product_total(live_api, wine["id"]) == AT_40_USD[0]

    # a second product the same search finds
    second = _another_wine(live_api, seller, q)
    assert _card(live_api, q, second["id"]) == AT_7_1

    # a new shipping fee and a new name
    tag = q.split()[1]
    profile = live_api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": f"Renamed Winery {tag} LLC",
            "us_state": "CA",
            "employees": 12,
            "shipping_fee": {"amount": 1000, "currency": "USD"},
        },
        headers=seller.headers,
    )
    assert profile.status_code == 200, profile.text
    assert _card(live_api, q, second["id"]) == AT_10_USD_SHIPPING
    assert _product_total(live_api, second["id"]) == AT_10_USD_SHIPPING[0]
    home = live_api.get("/").text
    assert f'<a class="seller" href="/sellers/{seller.id}">Renamed Winery {tag} LLC</a>' in home


def test_another_worker_shows_a_new_fx_rate_within_the_read_cache_bound(
    live_api, operator_token, second_worker
):
    # given a wine the second worker has just shown at 7.1000
    wine, q, _seller = _wine(live_api)
    with _client(second_worker.url) as other:
        assert _card(other, q, wine["id"]) == AT_7_1
        assert _product_total(other, wine["id"]) == AT_7_1[0]

        # when the operator sets 7.2000 through the first worker
        since = _set_fx(live_api, operator_token, "7.2000")

        # then the second worker's search card and product page follow within the bound
        try:
            _follows(lambda: _card(other, q, wine["id"]), old=AT_7_1, new=AT_7_2, since=since)
            _follows(lambda: _product_total(other, wine["id"]), old=AT_7_1[0], new=AT_7_2[0], since=since)
        finally:
            since = _set_fx(live_api, operator_token, EXAMPLE_FX_RATE)
        _follows(lambda: _card(other, q, wine["id"]), old=AT_7_2, new=AT_7_1, since=since)


def test_another_worker_shows_a_seller_s_new_price_and_product_within_the_read_cache_bound(
    live_api, second_worker
):
    # given a wine the second worker has just shown, found by a search it has just answered
    wine, q, seller = _wine(live_api)
    with _client(second_worker.url) as other:
        assert _card(other, q, wine["id"]) == AT_7_1
        assert _product_total(other, wine["id"]) == AT_7_1[0]

        # a new price, saved through the first worker
        since = _reprice(live_api, seller, wine["id"], 4000)
        _follows(lambda: _card(other, q, wine["id"]), old=AT_7_1, new=AT_40_USD, since=since)
        _follows(lambda: _product_total(other, wine["id"]), old=AT_7_1[0], new=AT_40_USD[0], since=since)

        # a second product the same search finds
        second = _another_wine(live_api, seller, q)
        since = time.monotonic()
        _follows(
            lambda: f'<a href="/products/{second["id"]}">' in other.get("/search", params={"q": q}).text,
            old=False,
            new=True,
            since=since,
        )


def test_a_visitor_s_csrf_token_never_reaches_another_visitor(live_api):
    wine, _q, _seller = _wine(live_api)
    with _client(str(live_api.base_url)) as first, _client(str(live_api.base_url)) as second:
        for browser in (first, second):
            browser.get("/")  # the first page sets the browser's CSRF cookie
        tokens = {browser: browser.cookies["kj_csrf"] for browser in (first, second)}
        assert tokens[first] != tokens[second]

        for _ in range(3):  # taking turns on the same product, as its snapshot is shared
            for browser, other in ((first, second), (second, first)):
                page = browser.get(f"/products/{wine['id']}")
                forms = re.findall(r'name="csrf_token" value="([^"]+)"', page.text)
                assert forms == [tokens[browser]]  # the add-to-cart form carries the browser's own
                assert tokens[other] not in page.text
                assert "set-cookie" not in page.headers  # and keeps it


def test_a_signed_in_visitor_s_header_never_reaches_another_visitor(live_api):
    wine, q, _seller = _wine(live_api)
    buyer = register(live_api, "buyer", name="李娜")
    with _client(str(live_api.base_url)) as signed_in, _client(str(live_api.base_url)) as anonymous:
        signed_in.cookies.set("kj_session", buyer.token)
        for path, params in (("/", {}), ("/search", {"q": q}), (f"/products/{wine['id']}", {})):
            for _ in range(2):
                mine = signed_in.get(path, params=params).text
                assert 'action="/logout"' in mine and '<a href="/login">' not in mine, path
                theirs = anonymous.get(path, params=params).text
                assert 'action="/logout"' not in theirs and '<a href="/login">' in theirs, path


def test_each_visitor_gets_the_page_in_their_own_language(live_api):
    wine, _q, _seller = _wine(live_api)
    tag = wine["title"]["en"].split()[-1]
    with _client(str(live_api.base_url)) as english, _client(str(live_api.base_url)) as chinese:
        english.get("/?lang=en")  # the choice is kept in the browser's cookie
        for _ in range(2):
            page = english.get(f"/products/{wine['id']}").text
            assert '<html lang="en">' in page and f"<h1>Napa Cabernet {tag}</h1>" in page
            assert "Total" in page and "CN¥292.96" in page
            page = chinese.get(f"/products/{wine['id']}").text
            assert '<html lang="zh-CN">' in page and f"<h1>纳帕赤霞珠葡萄酒 {tag}</h1>" in page
            assert '<td class="total">¥292.96</td>' in page
