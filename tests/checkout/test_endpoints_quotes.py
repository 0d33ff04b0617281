"""Quotes over HTTP: the numbers the storefront shows, and the problems it shows before checkout."""

from tests.auth.factories import buyer_with_identity, register, seller_with_profile
from tests.catalog.factories import APPLES, TEE, create_product
from tests.helpers import money


def test_design_wine_example_over_http(api):
    # given a seller charging $5.00 shipping and a $30.00 wine, FX 7.1000
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    # when a buyer quotes two bottles
    response = api.post("/api/v1/quotes", json={"lines": [{"product_id": wine["id"], "quantity": 2}]})
    # then
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["goods"] == money(42600)
    assert quote["freight"] == money(3550)
    assert quote["consumption_tax"] == money(3589)
    assert quote["vat"] == money(4666)
    assert quote["tax"] == money(8255)
    assert quote["total"] == money(54405)
    assert quote["fx_rate"] == "7.1000"
    assert quote["problems"] == []
    assert quote["lines"] == [
        {
            "product_id": wine["id"],
            "variant_id": None,  # a product without options
            "quantity": 2,
            "unit_price": money(21300),
            "goods": money(42600),
            "freight": money(3550),
            "consumption_tax": money(3589),
            "vat": money(4666),
            "tariff": money(0),
            "tax": money(8255),
        }
    ]


def test_apples_and_garments_in_one_order_share_the_freight_by_value(api):
    seller = seller_with_profile(api, shipping_fee_cents=1000)
    apples = create_product(api, seller, APPLES)  # $25.00 → 177.50
    tee = create_product(api, seller, TEE)  # $45.00 → 319.50
    response = api.post(
        "/api/v1/quotes",
        json={
            "lines": [{"product_id": apples["id"], "quantity": 1}, {"product_id": tee["id"], "quantity": 1}]
        },
    )
    quote = response.json()
    # freight 71.00 split 177.50 : 319.50 → 25.35 (floor of 25.357…) and the remainder 45.65
    apple_line, tee_line = quote["lines"]
    assert apple_line["freight"] == money(2535)
    assert tee_line["freight"] == money(4565)
    assert apple_line["vat"] == money(1278)  # (177.50 + 25.35) × 9% × 0.7 = 12.77955
    assert tee_line["vat"] == money(3323)  # (319.50 + 45.65) × 13% × 0.7 = 33.22865
    assert quote["tax"] == money(1278 + 3323)
    assert quote["total"] == money(17750 + 31950 + 7100 + 1278 + 3323)


def test_product_page_shows_the_landed_yuan_price(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    page = api.get(f"/api/v1/products/{wine['id']}").json()
    # one bottle: 213.00 + 35.50 freight; CT 19.33 + VAT 25.13
    assert page["price_cny"] == money(21300)
    assert page["tax_rate"] == "0.1789"
    assert page["freight"] == money(3550)
    assert page["tax"] == money(1933 + 2513)
    assert page["landed"] == money(21300 + 3550 + 1933 + 2513)
    assert page["problems"] == []


def test_an_hs_code_off_the_positive_list_is_a_problem(api):
    seller = seller_with_profile(api)
    firearm_part = create_product(api, seller, hs_code="9305.10", category="other")
    quote = api.post(
        "/api/v1/quotes", json={"lines": [{"product_id": firearm_part["id"], "quantity": 1}]}
    ).json()
    assert [p["code"] for p in quote["problems"]] == ["not_on_positive_list"]
    assert quote["lines"] == []
    page = api.get(f"/api/v1/products/{firearm_part['id']}").json()
    assert page["price_cny"] is None and page["landed"] is None
    assert [p["code"] for p in page["problems"]] == ["not_priced"]


def test_quote_lists_limit_and_identity_problems_for_a_buyer(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, price={"amount": 40000, "currency": "USD"})
    buyer = register(api, "buyer")
    response = api.post(
        "/api/v1/quotes", json={"lines": [{"product_id": wine["id"], "quantity": 2}]}, headers=buyer.headers
    )
    assert [p["code"] for p in response.json()["problems"]] == ["cbec_order_limit", "identity_required"]


def test_quote_across_two_sellers_is_refused(api):
    wine = create_product(api, seller_with_profile(api))
    other = create_product(api, seller_with_profile(api))
    response = api.post(
        "/api/v1/quotes",
        json={
            "lines": [{"product_id": wine["id"], "quantity": 1}, {"product_id": other["id"], "quantity": 1}]
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "mixed_sellers"


def test_quote_for_a_missing_product_is_refused(api):
    response = api.post("/api/v1/quotes", json={"lines": [{"product_id": 2_000_000_000, "quantity": 1}]})
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_product"


def test_quote_for_more_than_stock_shows_out_of_stock(api):
    wine = create_product(api, seller_with_profile(api), stock=3)
    buyer = buyer_with_identity(api)
    quote = api.post(
        "/api/v1/quotes", json={"lines": [{"product_id": wine["id"], "quantity": 4}]}, headers=buyer.headers
    ).json()
    assert [(p["code"], p["product_id"]) for p in quote["problems"]] == [("out_of_stock", wine["id"])]
