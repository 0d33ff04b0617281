import itertools
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import httpx
from argon2 import PasswordHasher, profiles
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import digest, new_token
from kuajing.compliance.identity import check_character
from kuajing.kit.time import utcnow
from kuajing.models import ApiToken, BuyerIdentity, Role, User
from kuajing.sealing import keyring_of
from tests.helpers import Target, in_db

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


# The session's operator token, once tests/conftest.py has issued it: sellers are approved with it.
SESSION_OPERATOR: dict[str, str] = {}
EXAMPLE_EIN = "12-3456789"
# the smallest file the document check takes for a PDF
EXAMPLE_PDF = b"%PDF-1.4\n% a test document\n%%EOF\n"
# What every seller gives for vetting besides the EIN (a seller listing wine or food gives more).
EVERY_SELLERS_DOCUMENTS = ("ein_letter", "state_registration", "customs_registration")


def upload_document(
    api: httpx.Client, seller: Account, kind: str, *, data: bytes = EXAMPLE_PDF
) -> httpx.Response:
    return api.post(
        "/api/v1/seller/documents",
        data={"kind": kind},
        files={"file": (f"{kind}.pdf", data, "application/pdf")},
        headers=seller.headers,
    )


def approve_seller(
    api: httpx.Client,
    seller: Account,
    *,
    documents: tuple[str, ...] = EVERY_SELLERS_DOCUMENTS,
    operator_token: str | None = None,
) -> None:
    """Send `documents` for the seller (who gave their EIN already) and approve them, as an
    operator does: through the API, with the session's operator token."""
    for kind in documents:
        sent = upload_document(api, seller, kind)
        assert sent.status_code == 201, sent.text
    approved = api.post(
        f"/api/v1/sellers/{seller.id}/review",
        json={"decision": "approve", "reason": "Documents checked (test)."},
        headers=operator_headers(operator_token or SESSION_OPERATOR["token"]),
    )
    assert approved.status_code == 200, approved.text


def seller_with_profile(
    api: httpx.Client, *, shipping_fee_cents: int = 500, state: str = "CA", approved: bool = True
) -> Account:
    """A seller with a profile and an EIN, approved by the operator (their products are shown and
    sold) unless `approved` is False (then pending, their documents not sent)."""
    seller = register(api, "seller", name="Test Winery")
    response = api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Test Winery LLC",
            "us_state": state,
            "employees": 12,
            "shipping_fee": {"amount": shipping_fee_cents, "currency": "USD"},
            "ein": EXAMPLE_EIN,
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    if approved:
        approve_seller(api, seller)
    return seller


def operator_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@cache
def _password_hash() -> str:
    return PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)


def bulk_buyers_with_identity(target: Target, count: int) -> list[Account]:
    """`count` buyers, each with a real-name identity and a token, written straight to the
    database in one transaction. Registering thousands over HTTP spends minutes in argon2; here
    they share one precomputed hash of PASSWORD, so they can still log in."""
    password_hash = _password_hash()
    people = [(uuid.uuid4().hex[:12], new_id_number(), new_token()) for _ in range(count)]

    async def write(session: AsyncSession) -> list[Account]:
        now = utcnow()
        users = [
            User(
                email=f"buyer-{tag}@kuajing.test",
                password_hash=password_hash,
                role=Role.buyer.value,
                name="李娜",
                created_at=now,
            )
            for tag, _id_number, _token in people
        ]
        session.add_all(users)
        await session.flush()
        for user, (_tag, id_number, token) in zip(users, people, strict=True):
            born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            session.add(
                BuyerIdentity(
                    user_id=user.id,
                    name="李娜",
                    id_number=id_number,
                    person_key=keyring_of(session.get_bind().dialect).person_key(id_number),
                    birth_date=born,
                    updated_at=now,
                )
            )
            session.add(
                ApiToken(
                    user_id=user.id,
                    token_hash=digest(token),
                    created_at=now,
                    last_used_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
        await session.flush()
        return [
            Account(id=user.id, email=user.email, role=user.role, token=token)
            for user, (_tag, _id_number, token) in zip(users, people, strict=True)
        ]

    return in_db(target, write)


def account_taking_over(api: httpx.Client, operator_token: str, id_number: str) -> Account:
    """A second account of the person holding `id_number`: one account holds a number at a
    time, so an operator gives it to the new one (as for a claim), taking it from the first."""
    buyer = register(api, "buyer", name="李娜")
    moved = api.post(
        "/api/v1/identities/release",
        json={
            "id_number": id_number,
            "to_user_id": buyer.id,
            "name": "李娜",
            "reason": "the person moved to a new account (test)",
        },
        headers=operator_headers(operator_token),
    )
    assert moved.status_code == 200, moved.text
    return buyer
