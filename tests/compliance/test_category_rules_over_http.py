"""Category rules over HTTP: shown when listing, shown in the quote, refused at order time."""

from datetime import date

from tests.auth.factories import buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import APPLES, TEE, WINE, create_product, stock_of
from tests.order.factories import order_ids, place


def problem_codes(body):
    return [p["code"] for p in body["problems"]]


def test_an_incomplete_wine_is_listed_with_its_problem_and_cannot_be_ordered(api):
    seller = seller_with_profile(api)
    label = {k: v for k, v in WINE["attributes"]["zh_label"].items() if k != "importer"}
    wine = create_product(api, seller, attributes={**WINE["attributes"], "zh_label": label}, stock=5)
    assert problem_codes(wine) == ["label_incomplete"]

    buyer = buyer_with_identity(api)
    quote = api.post(
        "/api/v1/quotes", json={"lines": [{"product_id": wine["id"], "quantity": 1}]}, headers=buyer.headers
    ).json()
    assert [(p["code"], p["product_id"]) for p in quote["problems"]] == [("label_incomplete", wine["id"])]

    refused = place(api, buyer, [(wine["id"], 1)])
    assert refused.status_code == 422
    assert refused.json()["code"] == "label_incomplete"
    assert (stock_of(api, wine["id"]), order_ids(api, buyer)) == (5, [])

    # once the seller completes the label, the same order goes through
    fixed = api.patch(
        f"/api/v1/products/{wine['id']}", json={"attributes": WINE["attributes"]}, headers=seller.headers
    )
    assert problem_codes(fixed.json()) == []
    assert place(api, buyer, [(wine["id"], 1)]).status_code == 201


def test_a_buyer_under_18_cannot_buy_wine_but_can_buy_fruit(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    apples = create_product(api, seller, APPLES)
    minor = buyer_with_identity(api, id_number=new_id_number(born=date(date.today().year - 17, 6, 1)))
    refused = place(api, minor, [(wine["id"], 1)])
    assert refused.status_code == 422
    assert refused.json()["code"] == "buyer_under_18"
    assert place(api, minor, [(apples["id"], 1)]).status_code == 201
    assert len(order_ids(api, minor)) == 1


def test_fruit_from_a_state_without_access_is_refused(api):
    seller = seller_with_profile(api, state="MI")
    cherries = create_product(
        api, seller, APPLES, hs_code="0809.29", attributes={**APPLES["attributes"], "origin_state": "MI"}
    )
    assert problem_codes(cherries) == ["origin_not_approved"]
    assert cherries["bonded_warehouse_only"] is True
    buyer = buyer_with_identity(api)
    assert place(api, buyer, [(cherries["id"], 1)]).json()["code"] == "origin_not_approved"


def test_garment_pages_show_the_chinese_size(api):
    tee = create_product(api, seller_with_profile(api), TEE)
    assert (tee["zh_size"], tee["bonded_warehouse_only"], problem_codes(tee)) == ("175/96A", False, [])


def test_beer_and_a_high_end_cream_are_taxed_by_their_special_rules(api):
    seller = seller_with_profile(api, shipping_fee_cents=0)
    beer = create_product(
        api,
        seller,
        TEE,
        hs_code="2203.00",
        category="beer",
        price={"amount": 1800, "currency": "USD"},
        attributes={"abv": 6.5, "volume_ml": 355, "units": 4},
    )
    quote = api.post("/api/v1/quotes", json={"lines": [{"product_id": beer["id"], "quantity": 2}]}).json()
    # 255.60 goods; 2.84 L × 0.253 = 0.71852 → × 0.7 = 0.50; VAT (255.60 + 0.71852) × 9.1% = 23.32
    assert (quote["consumption_tax"]["amount"], quote["vat"]["amount"]) == (50, 2332)

    cream = create_product(
        api,
        seller,
        TEE,
        hs_code="3304.99",
        category="cosmetics",
        price={"amount": 5986, "currency": "USD"},
        attributes={"net_content": 20, "unit": "g"},
    )
    # $59.86 × 7.1 = 425.01 for 20 g = 21.25 per g: high-end. CT = 425.01/0.85 × 0.15 × 0.7 = 52.50,
    # VAT = 425.01/0.85 × 0.13 × 0.7 = 45.50
    quote = api.post("/api/v1/quotes", json={"lines": [{"product_id": cream["id"], "quantity": 1}]}).json()
    assert (quote["consumption_tax"]["amount"], quote["vat"]["amount"]) == (5250, 4550)
    assert cream["tax_rate"] == "0.2306"  # the listing shows the high-end rate it really carries
