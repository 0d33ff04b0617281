"""Only approved sellers' products are shown or sold: in the API's search and product reads, on
the storefront's pages, in quotes, orders and Singles' Day purchases; a seller waiting for
approval still reads and edits their own."""

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile, upload_document
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal, deal_body, purchase
from tests.helpers import assert_problem
from tests.order.factories import order_ids, place
from tests.web.factories import signed_in


def review(api, operator_token, seller_id, decision, reason="Checked (test)."):
    response = api.post(
        f"/api/v1/sellers/{seller_id}/review",
        json={"decision": decision, "reason": reason},
        headers=operator_headers(operator_token),
    )
    assert response.status_code == 200, response.text
    return response.json()["status"]


def shown(api, product_id: int, seller_id: int) -> dict[str, bool]:
    """Where an anonymous buyer finds the product."""
    search = api.get("/api/v1/products", params={"seller_id": seller_id}).json()
    # the words and the seller: other tests' Napa wines may fill the first pages
    words = api.get("/api/v1/products", params={"q": "Napa Cabernet", "seller_id": seller_id}).json()
    return {
        "api_product": api.get(f"/api/v1/products/{product_id}").status_code == 200,
        "api_search_by_seller": [item["id"] for item in search["items"]] == [product_id]
        and search["total"] == 1,
        "api_search_by_words": product_id in [item["id"] for item in words["items"]],
        "product_page": api.get(f"/products/{product_id}").status_code == 200,
        "shop_page": api.get(f"/sellers/{seller_id}").status_code == 200,
        "search_page": f'href="/products/{product_id}"'
        in api.get("/search", params={"q": "Napa Cabernet", "seller": seller_id}).text,
    }


EVERYWHERE = dict.fromkeys(
    (
        "api_product",
        "api_search_by_seller",
        "api_search_by_words",
        "product_page",
        "shop_page",
        "search_page",
    ),
    True,
)
NOWHERE = dict.fromkeys(EVERYWHERE, False)


def test_a_pending_seller_s_products_are_shown_nowhere_but_to_them_and_everywhere_once_approved(
    api, operator_token
):
    # given a pending seller who lists a wine
    seller = seller_with_profile(api, approved=False)
    wine = create_product(api, seller)

    # then buyers find it nowhere, and a buyer's token changes nothing
    assert shown(api, wine["id"], seller.id) == NOWHERE
    buyer = buyer_with_identity(api)
    assert_problem(api.get(f"/api/v1/products/{wine['id']}", headers=buyer.headers), 404, "product_not_found")
    # but the seller reads and edits it, in the API and in the portal
    own = api.get(f"/api/v1/products/{wine['id']}", headers=seller.headers)
    assert (own.status_code, own.json()["id"]) == (200, wine["id"])
    edited = api.patch(f"/api/v1/products/{wine['id']}", json={"stock_delta": 5}, headers=seller.headers)
    assert (edited.status_code, edited.json()["stock"]) == (200, 105)
    with signed_in(api, seller) as portal:
        assert portal.get(f"/seller/products/{wine['id']}/edit").status_code == 200

    # when the operator approves them (every document sent, the TTB permit too: they list wine)
    for kind in ("ein_letter", "state_registration", "customs_registration", "ttb_permit"):
        assert upload_document(api, seller, kind).status_code == 201
    assert review(api, operator_token, seller.id, "approve") == "approved"

    # then it is shown everywhere at once
    assert shown(api, wine["id"], seller.id) == EVERYWHERE


def test_a_suspended_seller_s_products_vanish_and_cannot_be_quoted_ordered_or_bought_in_a_sale(
    api, operator_token
):
    # given an approved seller's wine, in a sale too, and a buyer who could buy it
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=20)
    deal = create_deal(api, seller, create_campaign(api, operator_token)["id"], wine["id"], quantity=5)
    buyer = buyer_with_identity(api)
    assert shown(api, wine["id"], seller.id) == EVERYWHERE
    quote = {"lines": [{"product_id": wine["id"], "quantity": 1}]}
    assert api.post("/api/v1/quotes", json=quote).status_code == 200
    sale_page = f"/singles-day?campaign={deal['campaign_id']}"
    assert api.get(f"/api/v1/deals/{deal['id']}").status_code == 200
    assert f'id="deal-{deal["id"]}"' in api.get(sale_page).text

    # when the operator suspends the seller
    assert review(api, operator_token, seller.id, "suspend", "Complaints under review.") == "suspended"

    # then nothing of theirs is shown, quoted, ordered or bought, and nothing is written
    assert shown(api, wine["id"], seller.id) == NOWHERE
    assert_problem(api.post("/api/v1/quotes", json=quote), 409, "seller_not_approved")
    assert_problem(api.post("/api/v1/quotes", json=quote, headers=buyer.headers), 409, "seller_not_approved")
    assert_problem(place(api, buyer, [(wine["id"], 1)]), 409, "seller_not_approved")
    assert_problem(purchase(api, buyer, deal["id"], 1), 409, "seller_not_approved")
    # the deal is off the sale's page and its API too
    assert_problem(api.get(f"/api/v1/deals/{deal['id']}"), 404, "deal_not_found")
    assert f'id="deal-{deal["id"]}"' not in api.get(sale_page).text
    assert order_ids(api, buyer) == []
    assert api.get(f"/api/v1/products/{wine['id']}", headers=seller.headers).json()["stock"] == 15
    # nor may they put a product in a sale
    campaign = create_campaign(api, operator_token)
    enrolled = api.post(
        f"/api/v1/campaigns/{campaign['id']}/deals",
        json=deal_body(wine["id"], quantity=1),
        headers=seller.headers,
    )
    assert_problem(enrolled, 409, "seller_not_approved")

    # when approved again (now they list wine, with their TTB permit), they sell again
    assert upload_document(api, seller, "ttb_permit").status_code == 201
    assert review(api, operator_token, seller.id, "approve", "Complaints resolved.") == "approved"
    assert shown(api, wine["id"], seller.id) == EVERYWHERE
    assert place(api, buyer, [(wine["id"], 1)]).status_code == 201
    assert purchase(api, buyer_with_identity(api), deal["id"], 1).status_code == 201
    assert api.get(f"/api/v1/deals/{deal['id']}").status_code == 200


def test_the_home_page_features_only_approved_sellers(api, operator_token):
    approved = seller_with_profile(api, state="WY")
    pending = seller_with_profile(api, state="WY", approved=False)
    for seller in (approved, pending):
        create_product(api, seller)
    page = api.get("/").text
    assert f'href="/sellers/{approved.id}"' in page
    assert f'href="/sellers/{pending.id}"' not in page
