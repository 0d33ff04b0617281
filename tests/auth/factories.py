import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from kuajing.compliance.identity import check_character

PASSWORD = "correct-horse-battery"
VALID_ID_NUMBER = "11010519491231002X"


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(api: httpx.Client, role: str, *, name: str = "Test User") -> Account:
    email = f"{role}-{uuid.uuid4().hex[:12]}@kuajing.test"
    response = api.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "role": role, "name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(id=body["user"]["id"], email=email, role=role, token=body["token"])


_people = itertools.count()


def new_id_number(*, born: date | None = None) -> str:
    """A valid resident ID nobody else in the test run has: the yearly limit is per person."""
    n = next(_people)
    born = born or date(1960, 1, 1) + timedelta(days=n)
    first17 = f"110105{born:%Y%m%d}{n % 1000:03d}"
    return first17 + check_character(first17)


def buyer_with_identity(api: httpx.Client, *, id_number: str | None = None) -> Account:
    id_number = id_number or new_id_number()
    buyer = register(api, "buyer", name="李娜")
    response = api.put(
        "/api/v1/buyer/identity", json={"name": "李娜", "id_number": id_number}, headers=buyer.headers
    )
    assert response.status_code == 200, response.text
    return buyer


def seller_with_profile(api: httpx.Client, *, shipping_fee_cents: int = 500, state: str = "CA") -> Account:
    seller = register(api, "seller", name="Test Winery")
    response = api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Test Winery LLC",
            "us_state": state,
            "employees": 12,
            "shipping_fee": {"amount": shipping_fee_cents, "currency": "USD"},
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    return seller


def operator_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
