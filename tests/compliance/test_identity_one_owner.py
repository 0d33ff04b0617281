"""One identity, one owner: an ID number belongs to one account at a time, given up by that
account or freed by an operator (audited); an operator's reveal of a full number is audited; a
seller's copy of the customs message is masked."""

from lxml import etree

from tests.auth.factories import (
    buyer_with_identity,
    new_id_number,
    operator_headers,
    register,
    seller_with_profile,
)
from tests.catalog.factories import create_product
from tests.customs.helpers import paid_order, seller_with_customs_code
from tests.helpers import assert_problem
from tests.order.factories import place

NS = {"ceb": "http://www.chinaport.gov.cn/ceb"}


def claim(api, buyer, id_number, name="李娜"):
    return api.put(
        "/api/v1/buyer/identity", json={"name": name, "id_number": id_number}, headers=buyer.headers
    )


def test_a_second_account_cannot_take_a_held_number_until_the_first_gives_it_up(api):
    person = new_id_number()
    first = buyer_with_identity(api, id_number=person)
    second = register(api, "buyer")
    refused = claim(api, second, person, name="王浩")
    assert_problem(refused, 409, "id_number_in_use")
    assert "another account" in refused.json()["detail"]
    assert_problem(api.get("/api/v1/buyer/identity", headers=second.headers), 404, "identity_required")
    # the holder may set it again (a corrected name) without tripping over itself
    assert claim(api, first, person, name="李 娜").status_code == 200

    assert api.delete("/api/v1/buyer/identity", headers=first.headers).status_code == 204
    assert_problem(api.get("/api/v1/buyer/identity", headers=first.headers), 404, "identity_required")
    taken = claim(api, second, person, name="王浩")
    assert taken.status_code == 200, taken.text
    assert taken.json()["id_number_masked"] == person[:6] + "********" + person[14:]
    assert taken.json()["verified"] is False
    assert_problem(claim(api, first, person), 409, "id_number_in_use")


def test_a_number_on_an_account_with_orders_is_given_by_an_operator_to_its_owner(api, operator_token):
    wine = create_product(api, seller_with_profile(api))
    person = new_id_number()
    holder = buyer_with_identity(api, id_number=person)
    order = place(api, holder, [(wine["id"], 1)])
    assert order.status_code == 201
    assert_problem(api.delete("/api/v1/buyer/identity", headers=holder.headers), 409, "identity_locked")

    operator = operator_headers(operator_token)
    owner = register(api, "buyer")
    path = "/api/v1/identities/release"
    body = {
        "id_number": person,
        "to_user_id": owner.id,
        "name": "李娜",
        "reason": "the owner showed her ID card to support, ticket 4411",
    }
    for headers in (holder.headers, register(api, "seller").headers):
        assert_problem(api.post(path, json=body, headers=headers), 403, "forbidden")
    for wrong, status, code in (
        ({"reason": "x"}, 422, "validation_error"),
        ({"to_user_id": register(api, "seller").id}, 404, "claimant_not_found"),
        ({"to_user_id": 2147483000}, 404, "claimant_not_found"),
        ({"to_user_id": holder.id}, 409, "claim_already_held"),
        ({"id_number": person[:17] + ("0" if person[17] != "0" else "1")}, 422, "invalid_id_number"),
    ):
        assert_problem(api.post(path, json={**body, **wrong}, headers=operator), status, code)
    moved = api.post(path, json=body, headers=operator)
    assert moved.status_code == 200, moved.text
    assert moved.json() == {"released_user_id": holder.id, "user_id": owner.id}

    # the owner holds it at once: nobody, the old holder included, could take it in between
    mine = api.get("/api/v1/buyer/identity", headers=owner.headers).json()
    assert mine["id_number_masked"] == person[:6] + "********" + person[14:]
    assert_problem(api.get("/api/v1/buyer/identity", headers=holder.headers), 404, "identity_required")
    assert_problem(claim(api, holder, person), 409, "id_number_in_use")
    # the holder's order keeps the identity it was placed under
    kept = api.get(f"/api/v1/orders/{order.json()['id']}", headers=holder.headers)
    assert kept.status_code == 200
    trail = api.get("/api/v1/audit/personal-data", params={"user_id": holder.id}, headers=operator).json()
    assert [(i["purpose"], i["reason"], i["order_id"]) for i in trail["items"]] == [
        ("identity_released", f"{body['reason']} (given to account #{owner.id})", None)
    ]
    assert trail["items"][0]["actor"]["role"] == "operator"


def test_an_operator_reveals_a_buyers_number_only_with_a_reason_and_it_is_audited(api, operator_token):
    seller, _ = seller_with_customs_code(api)
    order, buyer = paid_order(api, seller, quantity=1)
    path = f"/api/v1/orders/{order['id']}/buyer-identity/reveal"
    reason = {"reason": "customs asked to confirm the orderer of this parcel"}
    for headers in (seller.headers, buyer.headers):
        assert_problem(api.post(path, json=reason, headers=headers), 403, "forbidden")
    operator = operator_headers(operator_token)
    assert_problem(api.post(path, json={}, headers=operator), 422, "validation_error")
    assert_problem(
        api.post("/api/v1/orders/2147483647/buyer-identity/reveal", json=reason, headers=operator),
        404,
        "order_not_found",
    )
    identity = api.get("/api/v1/buyer/identity", headers=buyer.headers).json()
    revealed = api.post(path, json=reason, headers=operator)
    assert revealed.status_code == 200, revealed.text
    shown = revealed.json()
    assert shown["order_id"] == order["id"] and shown["buyer_name"] == "李娜"
    assert (
        shown["buyer_id_number"][:6] + "********" + shown["buyer_id_number"][14:]
        == (identity["id_number_masked"])
    )
    trail = api.get("/api/v1/audit/personal-data", params={"user_id": buyer.id}, headers=operator).json()
    assert [(i["purpose"], i["order_id"], i["reason"]) for i in trail["items"]] == [
        ("operator_reveal", order["id"], reason["reason"])
    ]
    assert_problem(api.get("/api/v1/audit/personal-data", headers=seller.headers), 403, "forbidden")


def test_the_customs_message_anyone_downloads_is_masked(api, operator_token):
    seller, _ = seller_with_customs_code(api)
    order, buyer = paid_order(api, seller, quantity=1)
    operator = operator_headers(operator_token)
    number = api.post(
        f"/api/v1/orders/{order['id']}/buyer-identity/reveal",
        json={"reason": "the test compares the masked message with the number"},
        headers=operator,
    ).json()["buyer_id_number"]
    for headers in (seller.headers, operator):
        response = api.get(f"/api/v1/orders/{order['id']}/customs/CEB311.xml", headers=headers)
        assert response.status_code == 200
        assert number.encode() not in response.content
        head = etree.fromstring(response.content).find("ceb:Order/ceb:OrderHead", NS)
        assert head is not None

        def text(name: str, head=head) -> str:
            return head.findtext(f"ceb:{name}", namespaces=NS) or ""

        assert text("buyerIdNumber") == number[:6] + "********" + number[14:]
        assert text("buyerName") == "李*"
        assert text("consignee") == "李*"
        assert text("consigneeTelephone") == "138****8000"
        assert text("consigneeAddress").startswith("上海市上海市") and set(text("consigneeAddress")[6:]) == {
            "*"
        }
        assert text("goodsValue") == "213.00"  # what is not personal is as stored
