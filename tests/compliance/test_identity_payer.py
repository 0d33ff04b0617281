"""The CBEC real-name rule at payment: the payer is the orderer, named or on file."""

from tests.auth.factories import VALID_ID_NUMBER, buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import create_product
from tests.order.factories import place


def test_a_payer_who_is_not_the_orderer_is_refused_and_recorded(api):
    wine = create_product(api, seller_with_profile(api))
    buyer = buyer_with_identity(api, id_number=VALID_ID_NUMBER)
    order = place(api, buyer, [(wine["id"], 1)]).json()

    stranger = {"name": "王浩", "id_number": new_id_number()}
    refused = api.post(
        f"/api/v1/orders/{order['id']}/pay",
        json={"method": "sandbox", "payer": stranger},
        headers=buyer.headers,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "payer_mismatch"
    detail = api.get(f"/api/v1/orders/{order['id']}", headers=buyer.headers).json()
    assert detail["status"] == "pending_payment"
    assert [(e["from_status"], e["to_status"], e["reason"]) for e in detail["events"]] == [
        (None, "pending_payment", "placed"),
        ("pending_payment", "pending_payment", "payment refused: payer is not the orderer"),
    ]

    bad_id = api.post(
        f"/api/v1/orders/{order['id']}/pay",
        json={"method": "sandbox", "payer": {"name": "李娜", "id_number": "110105194912310021"}},
        headers=buyer.headers,
    )
    assert (bad_id.status_code, bad_id.json()["code"]) == (422, "invalid_id_number")

    # the orderer herself, named explicitly (spacing in the name does not matter), pays
    herself = {"name": "李 娜", "id_number": VALID_ID_NUMBER.lower()}
    paid = api.post(
        f"/api/v1/orders/{order['id']}/pay",
        json={"method": "sandbox", "payer": herself},
        headers=buyer.headers,
    )
    assert (paid.status_code, paid.json()["status"]) == (200, "paid")
