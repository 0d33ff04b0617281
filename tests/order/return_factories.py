"""Delivered orders to return, and direct reads and back-dating in the test database for what the
API does not show (the buyer's yearly usage) or cannot do (a delivery 30 days ago)."""

from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import AnnualUsage, Order, Payment
from kuajing.sealing import keyring_of
from tests.auth.factories import Account
from tests.helpers import Target, in_db
from tests.order.factories import place


def delivered_order(api: httpx.Client, buyer: Account, seller: Account, lines: list[tuple[int, int]]) -> dict:
    """Place, pay, ship and deliver an order; the delivered order as the API shows it."""
    placed = place(api, buyer, lines)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    paid = api.post(f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    shipped = api.post(
        f"/api/v1/orders/{order_id}/ship", json={"tracking_number": "SF1234567890"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text
    delivered = api.post(f"/api/v1/orders/{order_id}/deliver", headers=seller.headers)
    assert delivered.status_code == 200, delivered.text
    return delivered.json()


def ask_return(api: httpx.Client, buyer: Account, order_id: int, reason: str = "酒瓶破损") -> httpx.Response:
    return api.post(f"/api/v1/orders/{order_id}/return", json={"reason": reason}, headers=buyer.headers)


def yearly_used(target: Target, order_id: int) -> int:
    """What the order's buyer has used of the CBEC yearly limit in the order's limit year, in fen."""

    async def read(session: AsyncSession) -> int:
        order = await session.get(Order, order_id)
        assert order is not None
        person = keyring_of(session.get_bind().dialect).person_key(order.buyer_id_number)
        used = await session.scalar(
            select(AnnualUsage.used_amount).where(
                AnnualUsage.person_key == person, AnnualUsage.year == order.limit_year
            )
        )
        assert used is not None
        return used

    return in_db(target, read, write=False)


def payment_status(target: Target, order_id: int) -> str | None:
    """The order's payment's status, and how much of it was refunded if any ("captured,
    refunded 54405")."""

    async def read(session: AsyncSession) -> str | None:
        row = (
            await session.execute(
                select(Payment.status, Payment.refunded_amount).where(Payment.order_id == order_id)
            )
        ).one_or_none()
        if row is None:
            return None
        status, refunded = row
        return f"{status}, refunded {refunded}" if refunded else status

    return in_db(target, read, write=False)


def set_delivered_at(target: Target, order_id: int, when: datetime) -> None:
    async def write(session: AsyncSession) -> None:
        await session.execute(update(Order).where(Order.id == order_id).values(delivered_at=when))

    in_db(target, write)


def set_yearly_used(target: Target, order_id: int, used: int) -> None:
    """Make the counter drift: what a return gives back must still never take it below 0."""

    async def write(session: AsyncSession) -> None:
        order = await session.get(Order, order_id)
        assert order is not None
        await session.execute(
            update(AnnualUsage)
            .where(
                AnnualUsage.person_key
                == keyring_of(session.get_bind().dialect).person_key(order.buyer_id_number),
                AnnualUsage.year == order.limit_year,
            )
            .values(used_amount=used)
        )

    in_db(target, write)


def snapshot(api: httpx.Client, target: Target, order_id: int, viewer: Account) -> dict[str, Any]:
    """Everything a refused return request or decision must leave as it was."""
    order = api.get(f"/api/v1/orders/{order_id}", headers=viewer.headers)
    assert order.status_code == 200, order.text
    body = order.json()
    stock = {
        line["product_id"]: api.get(f"/api/v1/products/{line['product_id']}").json()["stock"]
        for line in body["lines"]
    }
    return {
        "status": body["status"],
        "events": len(body["events"]),
        "return_request": body["return_request"],
        "yearly_used": yearly_used(target, order_id),
        "payment": payment_status(target, order_id),
        "stock": stock,
    }


# One bottle of the $30.00 wine with $5.00 shipping at FX 7.1000: goods and freight, what the
# yearly limit counts.
ONE_BOTTLE_DUTIABLE = 21300 + 3550


def detail(api, order_id, account):
    """The order with its events, as `account` sees it."""
    response = api.get(f"/api/v1/orders/{order_id}", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()
