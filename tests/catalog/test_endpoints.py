"""Listing, editing, filtering, paging and searching the bilingual catalog."""

import uuid

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import APPLES, TEE, create_product, product_body, stock_of
from tests.order.factories import place


def test_create_returns_the_listing_with_yuan_prices(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    product = create_product(api, seller, sku="NAPA-CAB-21")
    assert product["sku"] == "NAPA-CAB-21"
    assert product["seller_id"] == seller.id
    assert product["price"] == {"amount": 3000, "currency": "USD"}
    assert product["price_cny"] == {"amount": 21300, "currency": "CNY"}
    assert product["title"]["zh"] == "纳帕谷赤霞珠干红葡萄酒 2021"


def test_a_seller_cannot_list_the_same_sku_twice(api):
    seller = seller_with_profile(api)
    create_product(api, seller, sku="DUP-1")
    again = api.post("/api/v1/products", json=product_body(sku="DUP-1"), headers=seller.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_sku"
    assert len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == 1
    # another seller may use the same SKU
    create_product(api, seller_with_profile(api), sku="DUP-1")


def test_product_create_honours_idempotency_keys(api):
    seller = seller_with_profile(api)
    body = product_body()
    headers = {**seller.headers, "Idempotency-Key": uuid.uuid4().hex}
    first = api.post("/api/v1/products", json=body, headers=headers)
    second = api.post("/api/v1/products", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert len(api.get("/api/v1/products", params={"seller_id": seller.id}).json()["items"]) == 1


def test_the_owner_edits_both_languages_and_stock(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    response = api.patch(
        f"/api/v1/products/{wine['id']}",
        json={
            "title": {"en": "Sonoma Zinfandel 2020", "zh": "索诺玛仙粉黛干红葡萄酒 2020"},
            "stock_delta": -93,
            "price": {"amount": 3500, "currency": "USD"},
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"]["en"], body["stock"], body["price_cny"]["amount"]) == (
        "Sonoma Zinfandel 2020",
        7,
        24850,
    )
    found = api.get("/api/v1/products", params={"q": "仙粉黛", "seller_id": seller.id}).json()["items"]
    assert [p["id"] for p in found] == [wine["id"]]


def test_a_description_sent_in_one_language_leaves_the_other_empty(api):
    # given a wine described in both languages
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    path = f"/api/v1/products/{wine['id']}"
    # when the seller sends a description in Chinese only, then an empty one (schemathesis found
    # the second was a 500)
    chinese = api.patch(path, json={"description": {"zh": "黑色水果。"}}, headers=seller.headers)
    emptied = api.patch(path, json={"description": {}}, headers=seller.headers)
    # then each is taken as the product's creation takes it: a language left out is empty
    assert chinese.status_code == 200, chinese.text
    assert chinese.json()["description"] == {"en": "", "zh": "黑色水果。"}
    assert emptied.status_code == 200, emptied.text
    assert emptied.json()["description"] == {"en": "", "zh": ""}


def test_stock_changes_are_deltas_that_keep_what_orders_hold(api):
    # given 10 units, 2 of them held by a pending order
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    # when the seller receives 5 more
    restocked = api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": 5}, headers=seller.headers)
    assert restocked.json()["stock"] == 13
    # then the pending order's 2 units come back on top when it is cancelled: 15 on hand in all
    api.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer.headers)
    assert stock_of(api, wine["id"]) == 15
    # and a write-off beyond what is there is refused and changes nothing
    refused = api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": -16}, headers=seller.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "stock_would_go_negative"
    assert stock_of(api, wine["id"]) == 15
    absolute = api.patch(f"/api/v1/products/{wine['id']}", json={"stock": 3}, headers=seller.headers)
    assert absolute.status_code == 422
    assert stock_of(api, wine["id"]) == 15


def test_a_retried_stock_delta_applies_once(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    headers = {**seller.headers, "Idempotency-Key": uuid.uuid4().hex}
    first = api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": 5}, headers=headers)
    again = api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": 5}, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["stock"] == again.json()["stock"] == 15
    assert stock_of(api, wine["id"]) == 15


def test_filters_and_cursor_pages_walk_every_product_once(api):
    seller = seller_with_profile(api)
    ids = [create_product(api, seller, template)["id"] for template in (APPLES, TEE, APPLES, TEE, APPLES)]
    seen, cursor = [], None
    while True:
        params = {"seller_id": seller.id, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get("/api/v1/products", params=params).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    fruit = api.get("/api/v1/products", params={"seller_id": seller.id, "category": "fruit"}).json()["items"]
    assert [p["id"] for p in fruit] == [ids[0], ids[2], ids[4]]


def test_chinese_and_english_search(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    apples = create_product(api, seller, APPLES)
    create_product(api, seller, TEE)

    def search(q):
        return [
            p["id"]
            for p in api.get("/api/v1/products", params={"q": q, "seller_id": seller.id}).json()["items"]
        ]

    assert search("葡萄酒") == [wine["id"]]
    assert search("赤霞珠") == [wine["id"]]
    assert search("苹果") == [apples["id"]]
    assert search("蜜脆苹果") == [apples["id"]]
    assert search("cabernet") == [wine["id"]]
    assert search("Honeycrisp apples") == [apples["id"]]
    assert search("appl") == [apples["id"]]  # English matches word starts
    assert search("榴莲") == []


def test_a_bad_cursor_is_a_clear_error(api):
    response = api.get("/api/v1/products", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


def test_unknown_product_is_404(api):
    response = api.get("/api/v1/products/2147483647")
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"
