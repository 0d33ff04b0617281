"""The seller's customs code (ebcCode) over HTTP: a bad one is refused and the profile kept."""

from tests.customs.helpers import seller_with_customs_code


def test_a_bad_customs_code_is_refused_and_the_profile_kept(api):
    seller, code = seller_with_customs_code(api)
    for bad in ("31-0196AB", "ABC", "12345678901", "收发货人代码1234"):
        response = api.put(
            "/api/v1/seller/profile",
            json={
                "legal_name": "Other LLC",
                "us_state": "WA",
                "employees": 1,
                "shipping_fee": {"amount": 100, "currency": "USD"},
                "customs_code": bad,
            },
            headers=seller.headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_customs_code"
    kept = api.get("/api/v1/seller/profile", headers=seller.headers).json()
    assert (kept["customs_code"], kept["legal_name"]) == (code, "Test Winery LLC")
