"""Operators create campaigns; sellers enroll deals carved out of their own products' stock."""

from datetime import timedelta

from sqlalchemy import func, select

from kuajing.models import Campaign, Deal
from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product, create_sweater, stock_of, variant_ids
from tests.flash_sale.factories import create_campaign, create_deal, deal_body, deal_of, window
from tests.helpers import Target, in_db


def count_rows(target: Target, model):
    return in_db(target, lambda session: session.scalar(select(func.count()).select_from(model)), write=False)


def test_an_operator_creates_a_campaign_in_beijing_time(api, operator_token):
    response = api.post(
        "/api/v1/campaigns",
        json={
            "name": "双11 2026",
            "starts_at": "2026-11-10T16:00:00Z",
            "ends_at": "2026-11-12T00:00:00+08:00",
        },
        headers=operator_headers(operator_token),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "双11 2026",
        "starts_at": "2026-11-11T00:00:00+08:00",
        "ends_at": "2026-11-12T00:00:00+08:00",
    }


def test_only_an_operator_creates_campaigns(api, app):
    before = count_rows(app, Campaign)
    starts_at, ends_at = window(timedelta(hours=1), timedelta(hours=2))
    body = {"name": "mine", "starts_at": starts_at, "ends_at": ends_at}
    for account in (seller_with_profile(api), buyer_with_identity(api)):
        response = api.post("/api/v1/campaigns", json=body, headers=account.headers)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
    assert api.post("/api/v1/campaigns", json=body).status_code == 401
    assert count_rows(app, Campaign) == before


def test_a_window_must_end_after_it_starts(api, operator_token, app):
    before = count_rows(app, Campaign)
    headers = operator_headers(operator_token)
    for starts_at, ends_at in [
        ("2026-11-11T00:00:00+08:00", "2026-11-10T23:59:59+08:00"),
        ("2026-11-11T00:00:00+08:00", "2026-11-10T16:00:00Z"),  # the same moment
    ]:
        response = api.post(
            "/api/v1/campaigns",
            json={"name": "x", "starts_at": starts_at, "ends_at": ends_at},
            headers=headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_campaign_window"
    naive = api.post(
        "/api/v1/campaigns",
        json={"name": "x", "starts_at": "2026-11-11T00:00:00", "ends_at": "2026-11-12T00:00:00"},
        headers=headers,
    )
    assert naive.status_code == 422
    assert naive.json()["code"] == "validation_error"
    assert count_rows(app, Campaign) == before


def test_a_deal_carves_its_units_out_of_the_product(api, operator_token):
    # given a seller's wine with 30 bottles and a running campaign
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=30)
    campaign = create_campaign(api, operator_token)
    # when the seller enrolls 12 bottles at $20.00, at most 2 per buyer
    deal = create_deal(
        api, seller, campaign["id"], wine["id"], price_cents=2000, quantity=12, per_buyer_limit=2
    )
    # then the deal shows its price in yuan and the product has 18 left
    assert deal == {
        "id": deal["id"],
        "campaign_id": campaign["id"],
        "product_id": wine["id"],
        "variant_id": None,  # a product without options: the deal sells the product itself
        "price": {"amount": 2000, "currency": "USD"},
        "price_cny": {"amount": 14200, "currency": "CNY"},  # 20.00 × 7.1000
        "quantity": 12,
        "remaining": 12,
        "reserved": 0,
        "sold": 0,
        "per_buyer_limit": 2,
        "starts_at": campaign["starts_at"],
        "ends_at": campaign["ends_at"],
    }
    assert deal_of(api, deal["id"]) == deal
    assert stock_of(api, wine["id"]) == 18


def test_a_deal_is_refused_without_enough_stock_and_nothing_is_carved(api, operator_token, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=5)
    campaign = create_campaign(api, operator_token)
    before = count_rows(app, Deal)
    response = api.post(
        f"/api/v1/campaigns/{campaign['id']}/deals",
        json=deal_body(wine["id"], quantity=6),
        headers=seller.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert stock_of(api, wine["id"]) == 5
    assert count_rows(app, Deal) == before


def test_a_seller_enrolls_only_their_own_product(api, operator_token, app):
    owner, other = seller_with_profile(api), seller_with_profile(api)
    wine = create_product(api, owner, stock=20)
    campaign = create_campaign(api, operator_token)
    before = count_rows(app, Deal)
    path = f"/api/v1/campaigns/{campaign['id']}/deals"

    theirs = api.post(path, json=deal_body(wine["id"]), headers=other.headers)
    assert theirs.status_code == 403
    assert theirs.json()["code"] == "not_your_product"
    missing = api.post(path, json=deal_body(2_000_000_000), headers=other.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "product_not_found"
    no_campaign = api.post(
        "/api/v1/campaigns/2000000000/deals", json=deal_body(wine["id"]), headers=owner.headers
    )
    assert no_campaign.status_code == 404
    assert no_campaign.json()["code"] == "campaign_not_found"
    buyer = api.post(path, json=deal_body(wine["id"]), headers=buyer_with_identity(api).headers)
    assert buyer.status_code == 403

    assert stock_of(api, wine["id"]) == 20
    assert count_rows(app, Deal) == before


def test_one_deal_per_product_per_campaign_and_none_in_an_ended_campaign(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=20)
    campaign = create_campaign(api, operator_token)
    create_deal(api, seller, campaign["id"], wine["id"], quantity=5)
    again = api.post(
        f"/api/v1/campaigns/{campaign['id']}/deals",
        json=deal_body(wine["id"], quantity=5),
        headers=seller.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "deal_exists"
    assert stock_of(api, wine["id"]) == 15

    past = create_campaign(api, operator_token, starts_in=timedelta(days=-2), lasts=timedelta(days=1))
    late = api.post(
        f"/api/v1/campaigns/{past['id']}/deals",
        json=deal_body(wine["id"], quantity=5),
        headers=seller.headers,
    )
    assert late.status_code == 409
    assert late.json()["code"] == "campaign_ended"
    assert stock_of(api, wine["id"]) == 15


def test_enrolling_twice_with_one_idempotency_key_carves_once(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=20)
    campaign = create_campaign(api, operator_token)
    path = f"/api/v1/campaigns/{campaign['id']}/deals"
    headers = {**seller.headers, "Idempotency-Key": "enroll-wine-1111"}
    first = api.post(path, json=deal_body(wine["id"], quantity=8), headers=headers)
    second = api.post(path, json=deal_body(wine["id"], quantity=8), headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert stock_of(api, wine["id"]) == 12
    other = api.post(path, json=deal_body(wine["id"], quantity=9), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"


def test_unknown_deals_and_campaigns_are_404(api):
    deal = api.get("/api/v1/deals/2000000000")
    assert deal.status_code == 404
    assert deal.json()["code"] == "deal_not_found"
    stats = api.get("/api/v1/campaigns/2000000000/stats")
    assert stats.status_code == 404
    assert stats.json()["code"] == "campaign_not_found"


def test_a_deal_on_one_size_sells_only_that_size(api, operator_token):
    # given a sweater in S, M and L (10, 20 and 30 in stock) and a campaign under way
    seller = seller_with_profile(api, shipping_fee_cents=0)
    sweater = create_sweater(api, seller)
    size = variant_ids(sweater)
    campaign = create_campaign(api, operator_token)
    # a deal must say which size: the product alone is refused
    alone = api.post(
        f"/api/v1/campaigns/{campaign['id']}/deals", json=deal_body(sweater["id"]), headers=seller.headers
    )
    assert (alone.status_code, alone.json()["code"]) == (422, "variant_required")
    # when the seller puts 5 of size M on sale
    body = {**deal_body(sweater["id"], price_cents=9900, quantity=5), "variant_id": size["M"]}
    created = api.post(f"/api/v1/campaigns/{campaign['id']}/deals", json=body, headers=seller.headers)
    assert created.status_code == 201, created.text
    deal = created.json()
    # then the deal names the product and the size, and only M's stock gave up its units
    assert (deal["product_id"], deal["variant_id"], deal["remaining"]) == (sweater["id"], size["M"], 5)
    after = api.get(f"/api/v1/products/{sweater['id']}").json()
    assert [v["stock"] for v in after["variants"]] == [10, 15, 30]
    # and a buyer of the deal gets size M at the deal's price
    buyer = buyer_with_identity(api)
    bought = api.post(
        f"/api/v1/deals/{deal['id']}/purchase",
        json={"quantity": 1, "risk_notice_accepted": True},
        headers=buyer.headers,
    )
    assert bought.status_code == 201, bought.text
    order = api.get(f"/api/v1/orders/{bought.json()['order_id']}", headers=buyer.headers).json()
    ((product_id, variant_id, usd),) = [
        (line["product_id"], line["variant_id"], line["unit_price_usd"]["amount"]) for line in order["lines"]
    ]
    assert (product_id, variant_id, usd) == (sweater["id"], size["M"], 9900)
    assert [v["stock"] for v in api.get(f"/api/v1/products/{sweater['id']}").json()["variants"]] == [
        10,
        15,
        30,
    ]
    assert deal_of(api, deal["id"])["remaining"] == 4
