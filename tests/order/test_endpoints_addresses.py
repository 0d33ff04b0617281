"""The buyer's address, as the seller reads it: whole while the seller ships the order (paid,
shipped), masked before payment and after; the buyer and operators read it whole."""

from tests.auth.factories import buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.order.factories import ADDRESS, place
from tests.web.factories import signed_in

MASKED = {**ADDRESS, "name": "李*", "phone": "138****8000", "street": "*" * len(ADDRESS["street"])}


def test_a_seller_reads_the_address_whole_only_while_it_ships_the_order(api, operator_token):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 1)]).json()
    path = f"/api/v1/orders/{order['id']}"

    def address(headers):
        return api.get(path, headers=headers).json()["shipping_address"]

    # unpaid: the seller has nothing to ship yet
    assert address(seller.headers) == MASKED
    listed = api.get("/api/v1/orders", headers=seller.headers).json()["items"]
    assert [o["shipping_address"] for o in listed if o["id"] == order["id"]] == [MASKED]
    assert address(buyer.headers) == ADDRESS
    assert address(operator_headers(operator_token)) == ADDRESS
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/orders?view=all").text
        assert "138****8000" in page and ADDRESS["phone"] not in page and ADDRESS["street"] not in page

    # paid: the seller ships it, so reads it whole
    paid = api.post(f"{path}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    assert address(seller.headers) == ADDRESS
    with signed_in(api, seller) as browser:
        assert ADDRESS["phone"] in browser.get("/seller/orders").text
