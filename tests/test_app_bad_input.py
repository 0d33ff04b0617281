"""Input a client can send never causes a 500 and never writes anything."""

import asyncio
import json

import httpx
import pytest

from tests.auth.factories import buyer_with_identity, new_id_number, register, seller_with_profile
from tests.catalog.factories import create_product, product_body, stock_of
from tests.order.factories import order_body, order_ids

LONG = "長" * 10_000


@pytest.fixture
def shop(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    return seller, wine, buyer_with_identity(api)


def assert_refused(response, *, status=None):
    assert 400 <= response.status_code < 500, response.text
    if status is not None:
        assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == response.status_code


def test_malformed_json(api, shop):
    _seller, wine, buyer = shop
    response = api.post(
        "/api/v1/orders",
        content=b'{"lines": [',
        headers={**buyer.headers, "Content-Type": "application/json"},
    )
    assert_refused(response, status=400)
    assert response.json()["code"] == "malformed_json"
    assert order_ids(api, buyer) == []


@pytest.mark.parametrize(
    "lines",
    [
        [{"product_id": "one", "quantity": 1}],
        [{"product_id": 1, "quantity": -1}],
        [{"product_id": 1, "quantity": 0}],
        [{"product_id": 1, "quantity": 10**12}],
        [{"product_id": 1, "quantity": 1.5}],
        [{"product_id": 1, "quantity": "2"}],
        [{"product_id": 2**70, "quantity": 1}],
        [],
        [{"product_id": 1, "quantity": 1}] * 51,
        "lines",
    ],
)
def test_bad_order_lines(api, shop, lines):
    _seller, wine, buyer = shop
    body = order_body([(wine["id"], 1)])
    body["lines"] = lines
    assert_refused(api.post("/api/v1/orders", json=body, headers=buyer.headers), status=422)
    assert stock_of(api, wine["id"]) == 5
    assert order_ids(api, buyer) == []


@pytest.mark.parametrize(
    "change",
    [
        {"price": {"amount": 3000, "currency": "EUR"}},
        {"price": {"amount": -1, "currency": "USD"}},
        {"price": {"amount": "30.00", "currency": "USD"}},
        {"price": {"amount": 30.5, "currency": "USD"}},
        {"price": {"amount": 10**15, "currency": "USD"}},
        {"price": {"amount": 3000, "currency": "CNY"}},
        {"price": {"amount": 0, "currency": "USD"}},
        {"stock": -5},
        {"stock": "5"},
        {"stock": 10**12},
        {"hs_code": "22O4.21"},
        {"hs_code": "2204"},
        {"category": "weapons"},
        {"title": {"en": LONG, "zh": "酒"}},
        {"title": {"en": "Wine", "zh": LONG}},
        {"description": {"en": LONG, "zh": LONG}},
        {"sku": LONG},
        {"sku": "has spaces"},
        {"attributes": {"notes": LONG}},
        {"attributes": {"a": {"b": {"c": {"d": {"e": 1}}}}}},
        {"weight_grams": 0},
        {"unexpected": True},
    ],
)
def test_bad_products(api, shop, change):
    seller, _wine, _buyer = shop
    before = len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"])
    assert_refused(
        api.post("/api/v1/products", json=product_body(**change), headers=seller.headers), status=422
    )
    assert len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == before


def test_long_strings_in_identity_and_address(api, shop):
    _seller, wine, buyer = shop
    assert_refused(
        api.put(
            "/api/v1/buyer/identity",
            json={"name": LONG, "id_number": "11010519491231002X"},
            headers=buyer.headers,
        ),
        status=422,
    )
    assert_refused(
        api.put("/api/v1/buyer/identity", json={"name": "李娜", "id_number": LONG}, headers=buyer.headers),
        status=422,
    )
    body = order_body([(wine["id"], 1)])
    body["shipping_address"] = {**body["shipping_address"], "street": LONG}
    assert_refused(api.post("/api/v1/orders", json=body, headers=buyer.headers), status=422)
    assert order_ids(api, buyer) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/products/0"),
        ("GET", "/api/v1/products/99999999999999999999"),
        ("GET", "/api/v1/products/abc"),
        ("GET", "/api/v1/products?limit=0"),
        ("GET", "/api/v1/products?limit=100000"),
        ("GET", "/api/v1/products?category=weapons"),
        ("GET", "/api/v1/products?q=" + "长" * 500),
        ("GET", "/api/v1/fx-rates/USD-EUR"),
        ("GET", "/api/v1/nowhere"),
        ("DELETE", "/api/v1/products/1"),
    ],
)
def test_bad_paths_and_queries(api, method, path):
    assert_refused(api.request(method, path))


def test_wrong_content_type_is_refused(api, shop):
    _seller, _wine, buyer = shop
    response = api.post(
        "/api/v1/quotes", content=b"lines=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_refused(response)


def send(api, method, path, body, headers=None):
    # json.dumps escapes a lone surrogate as \\ud800, as any client may send it
    return api.request(
        method,
        path,
        content=json.dumps(body).encode(),
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_numbers_no_json_column_can_store_are_refused(api, shop, number):
    seller, _wine, _buyer = shop
    before = len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"])
    body = json.dumps(product_body(attributes={"abv": "__N__"})).encode().replace(b'"__N__"', number)
    response = api.post(
        "/api/v1/products", content=body, headers={**seller.headers, "Content-Type": "application/json"}
    )
    assert_refused(response, status=422)
    assert len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == before


def test_concurrent_first_saves_of_an_identity_all_succeed(live_api):
    # live: concurrent requests need a real server and its connection pool
    buyer = register(live_api, "buyer")

    async def save_all():
        async with httpx.AsyncClient(base_url=str(live_api.base_url), timeout=30) as client:
            return await asyncio.gather(
                *(
                    client.put(
                        "/api/v1/buyer/identity",
                        json={"name": "李娜", "id_number": new_id_number()},
                        headers=buyer.headers,
                    )
                    for _ in range(10)
                )
            )

    assert [r.status_code for r in asyncio.run(save_all())] == [200] * 10


@pytest.mark.parametrize(
    "text", ["wine\x00", "\ud800 lone surrogate", "wine\x01", "wine\x1b[31m", "wine\x85"]
)
def test_text_no_database_can_store_is_refused(api, shop, text):
    seller, wine, buyer = shop
    before = len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"])
    assert_refused(
        send(api, "POST", "/api/v1/products", product_body(title={"en": text, "zh": "酒"}), seller.headers),
        status=422,
    )
    assert_refused(
        send(
            api,
            "POST",
            "/api/v1/products",
            product_body(attributes={"note": {"deep": [text]}}),
            seller.headers,
        ),
        status=422,
    )
    assert_refused(
        send(
            api,
            "POST",
            "/api/v1/auth/register",
            {"email": f"x{text}@kuajing.test", "password": "long-enough-pw", "role": "buyer", "name": "X"},
        ),
        status=422,
    )
    assert_refused(
        send(
            api,
            "PUT",
            "/api/v1/buyer/identity",
            {"name": text, "id_number": "11010519491231002X"},
            buyer.headers,
        ),
        status=422,
    )
    assert len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == before


@pytest.mark.parametrize("blank", [" ", "\u3000", "\u3000 \t"])
def test_names_titles_and_addresses_need_more_than_spaces(api, shop, blank):
    seller, wine, buyer = shop
    before_products = len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"])
    refused = send(
        api, "POST", "/api/v1/products", product_body(title={"en": "Wine", "zh": blank}), seller.headers
    )
    assert_refused(refused, status=422)
    assert [(p["field"], p["message"]) for p in refused.json()["problems"]] == [
        ("title.zh", "Value error, must contain something besides spaces")
    ]
    body = order_body([(wine["id"], 1)])
    for field in ("name", "street"):
        address = {**body["shipping_address"], field: blank}
        assert_refused(
            send(api, "POST", "/api/v1/orders", {**body, "shipping_address": address}, buyer.headers),
            status=422,
        )
    assert_refused(
        send(
            api,
            "PUT",
            "/api/v1/buyer/identity",
            {"name": blank * 2, "id_number": new_id_number()},
            buyer.headers,
        ),
        status=422,
    )
    assert (
        len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == before_products
    )
    assert (order_ids(api, buyer), stock_of(api, wine["id"])) == ([], 5)
