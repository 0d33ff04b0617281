"""The buyer's real-name identity over HTTP: checked, stored masked, fixed once the account has ordered."""

from tests.auth.factories import (
    VALID_ID_NUMBER,
    buyer_with_identity,
    new_id_number,
    register,
    seller_with_profile,
)
from tests.catalog.factories import create_product
from tests.helpers import assert_problem
from tests.order.factories import place


def test_a_bad_check_digit_is_refused_and_not_stored(api):
    buyer = register(api, "buyer")
    response = api.put(
        "/api/v1/buyer/identity",
        json={"name": "李娜", "id_number": "110105194912310021"},
        headers=buyer.headers,
    )
    assert_problem(response, 422, "invalid_id_number")
    assert_problem(api.get("/api/v1/buyer/identity", headers=buyer.headers), 404, "identity_required")


def test_identity_is_stored_masked(api):
    buyer = buyer_with_identity(api, id_number=VALID_ID_NUMBER)
    identity = api.get("/api/v1/buyer/identity", headers=buyer.headers).json()
    assert identity["name"] == "李娜"
    assert identity["id_number_masked"] == "110105********002X"


def test_the_id_number_is_fixed_once_the_account_has_ordered(api):
    wine = create_product(api, seller_with_profile(api))
    person = new_id_number()
    buyer = buyer_with_identity(api, id_number=person)
    # before any order the buyer may correct it
    corrected = new_id_number()
    assert (
        api.put(
            "/api/v1/buyer/identity", json={"name": "李娜", "id_number": corrected}, headers=buyer.headers
        ).status_code
        == 200
    )
    assert place(api, buyer, [(wine["id"], 1)]).status_code == 201
    # after, switching to another person's ID (fresh yearly room) is refused; the name may be fixed
    switched = api.put(
        "/api/v1/buyer/identity", json={"name": "王浩", "id_number": new_id_number()}, headers=buyer.headers
    )
    assert_problem(switched, 409, "identity_locked")
    renamed = api.put(
        "/api/v1/buyer/identity", json={"name": "李 娜", "id_number": corrected}, headers=buyer.headers
    )
    assert renamed.status_code == 200
    assert renamed.json()["id_number_masked"] == corrected[:6] + "********" + corrected[14:]
