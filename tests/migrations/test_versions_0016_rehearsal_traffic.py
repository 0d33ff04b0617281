"""Migration 0016 (rehearsal traffic): order events and seller reviews stay append-only, except
that a rehearsal's may be deleted (an order of a rehearsal buyer or seller, a rehearsal seller's
reviews), which `kuajing rehearse --cleanup` does. On the session's database, in a transaction
rolled back at the end."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Delete, Update, delete, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.bootstrap import prepare_database
from kuajing.db import Database, rowcount
from kuajing.migrations import alembic_config
from kuajing.models import Order, OrderEvent, SellerReview, User

NOW = datetime(2026, 11, 11, tzinfo=UTC)


class RolledBack(Exception):
    """Raised at the end of the scenario, so nothing of it stays."""


def _user(role: str) -> User:
    return User(
        email=f"0016-{uuid.uuid4().hex[:12]}@kuajing.test",
        password_hash="x",
        role=role,
        name="x",
        created_at=NOW,
    )


def _order(buyer: User, seller: User) -> Order:
    return Order(
        buyer_id=buyer.id, seller_id=seller.id, status="pending_payment", channel="cbec",
        fx_rate=Decimal("7.1"), currency="CNY", goods_amount=100, freight_amount=0, consumption_tax_amount=0,
        vat_amount=0, tariff_amount=0, tax_amount=0, total_amount=100, dutiable_amount=100,
        goods_usd_amount=14, limit_year=2026, buyer_name="李娜", buyer_id_number="11010519491231002X",
        shipping_address={}, risk_notice_accepted_at=NOW, risk_notice_version="2026",
        expires_at=NOW + timedelta(minutes=30), created_at=NOW, updated_at=NOW,
    )  # fmt: skip


async def _deleted(session: AsyncSession, statement: Delete | Update) -> int | str:
    """Rows the statement changed, or "refused" when the database refused it."""
    try:
        async with session.begin_nested():
            return rowcount(await session.execute(statement.execution_options(synchronize_session=False)))
    except DBAPIError as error:
        assert "append-only" in str(error)
        return "refused"


def test_a_rehearsals_events_and_reviews_may_go_and_no_real_ones(database_url):
    async def scenario(session: AsyncSession) -> dict[str, int | str]:
        # given a real and a rehearsal order with an event each, and a real and a rehearsal
        # seller with a review each
        buyer, seller, operator, rehearsal_buyer, rehearsal_seller = (
            _user(role) for role in ("buyer", "seller", "operator", "buyer", "seller")
        )
        session.add_all([buyer, seller, operator, rehearsal_buyer, rehearsal_seller])
        await session.flush()
        real, rehearsal = _order(buyer, seller), _order(rehearsal_buyer, seller)
        session.add_all([real, rehearsal])
        await session.flush()
        events = [
            OrderEvent(order_id=order.id, to_status="pending_payment", reason="placed", created_at=NOW)
            for order in (real, rehearsal)
        ]
        reviews = [
            SellerReview(
                seller_id=who.id,
                decision="approve",
                status_from="pending",
                status_to="approved",
                reason="checked",
                actor_id=operator.id,
                created_at=NOW,
            )  # fmt: skip
            for who in (seller, rehearsal_seller)
        ]
        session.add_all([*events, *reviews])
        await session.flush()
        await session.execute(
            update(User).where(User.id.in_([rehearsal_buyer.id, rehearsal_seller.id])).values(rehearsal=True)
        )

        # when each is changed or deleted
        found = {
            "real event deleted": await _deleted(
                session, delete(OrderEvent).where(OrderEvent.id == events[0].id)
            ),
            "real review deleted": await _deleted(
                session, delete(SellerReview).where(SellerReview.id == reviews[0].id)
            ),
            "rehearsal event changed": await _deleted(
                session, update(OrderEvent).where(OrderEvent.id == events[1].id).values(reason="changed")
            ),
            "rehearsal event deleted": await _deleted(
                session, delete(OrderEvent).where(OrderEvent.id == events[1].id)
            ),
            "rehearsal review deleted": await _deleted(
                session, delete(SellerReview).where(SellerReview.id == reviews[1].id)
            ),
        }
        raise RolledBack(found)

    async def run() -> dict[str, int | str]:
        database = Database(database_url)
        try:
            async with database.transaction(write=True) as session:
                await scenario(session)
        except RolledBack as done:
            return done.args[0]
        finally:
            await database.dispose()
        raise AssertionError("the scenario did not finish")

    # then only the rehearsal's rows could be deleted, and none changed
    assert asyncio.run(run()) == {
        "real event deleted": "refused",
        "real review deleted": "refused",
        "rehearsal event changed": "refused",
        "rehearsal event deleted": 1,
        "rehearsal review deleted": 1,
    }


@pytest.mark.once
def test_0016_goes_down_and_up_cleanly(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    prepare_database(url)
    config = alembic_config(url)
    command.downgrade(config, "0015")
    command.upgrade(config, "head")
    command.check(config)  # raises if the models and the migrated schema differ
