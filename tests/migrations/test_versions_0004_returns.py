"""Migration 0004 gives orders delivered before it their delivery time from the delivered event, so
their return window counts from the real delivery; and it goes down and up again cleanly."""

import asyncio

import pytest
from alembic import command
from sqlalchemy import select

from kuajing.bootstrap import prepare_database
from kuajing.db import Database
from kuajing.demo import seed as demo_seed
from kuajing.fulfillment import service as fulfillment_service
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.migrations import alembic_config
from kuajing.models import Order, OrderEvent, Role
from kuajing.order import service as order_service
from tests.helpers import process_runtime

pytestmark = pytest.mark.once  # its own SQLite file, whatever the pass's database


async def _deliver_one(url: str) -> int:
    async with process_runtime(url) as runtime:
        await demo_seed.seed(runtime)
        async with runtime.database.transaction(write=True) as session:
            order_id = await session.scalar(select(Order.id).where(Order.status == "paid").limit(1))
            assert order_id is not None
            seller_id = (await session.get(Order, order_id)).seller_id
            viewer = order_service.Viewer(seller_id, Role.seller)
            await fulfillment_service.ship_order(
                session,
                runtime.get(FulfillmentContext),
                order_id=order_id,
                viewer=viewer,
                tracking_number="SF0001",
            )
            await fulfillment_service.deliver_order(session, order_id=order_id, viewer=viewer)
        return order_id


async def _delivery_times(url: str, order_id: int):
    database = Database(url)
    try:
        async with database.transaction(write=False) as session:
            delivered_at = await session.scalar(select(Order.delivered_at).where(Order.id == order_id))
            event_at = await session.scalar(
                select(OrderEvent.created_at).where(
                    OrderEvent.order_id == order_id, OrderEvent.to_status == "delivered"
                )
            )
            others = await session.scalar(
                select(Order.id).where(Order.id != order_id, Order.delivered_at.is_not(None)).limit(1)
            )
        return delivered_at, event_at, others
    finally:
        await database.dispose()


def test_orders_delivered_before_the_migration_get_their_delivery_time(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    prepare_database(url)
    order_id = asyncio.run(_deliver_one(url))
    config = alembic_config(url)

    command.downgrade(config, "0001")  # as if the order had been delivered before returns existed
    command.upgrade(config, "head")

    delivered_at, event_at, others = asyncio.run(_delivery_times(url, order_id))
    assert delivered_at is not None
    assert delivered_at == event_at
    assert others is None  # paid and unpaid orders have no delivery time
