"""The sweeper expires each due order in its own transaction: one it cannot expire is skipped,
not allowed to hold back the orders due after it."""

import asyncio
from datetime import timedelta

from sqlalchemy import update

from kuajing.bootstrap import build_runtime
from kuajing.fulfillment import sweeper
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.time import utcnow
from kuajing.models import Deal, Order
from kuajing.settings import Settings
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.compliance.factories import in_db
from tests.flash_sale.factories import create_campaign, create_deal, purchase


def _status(url: str, order_id: int) -> str:
    return in_db(url, lambda session: session.get(Order, order_id), write=False).status


def test_an_order_that_cannot_expire_does_not_hold_back_the_others(api, operator_token, database_url):
    # given two unpaid deal orders, the first (lower id) on a deal whose counters drifted so its
    # units cannot go back, both past their expiry
    seller = seller_with_profile(api)
    campaign = create_campaign(api, operator_token)
    drifted, healthy = (
        create_deal(api, seller, campaign["id"], create_product(api, seller, stock=5)["id"], quantity=2)
        for _ in range(2)
    )
    stuck = purchase(api, buyer_with_identity(api), drifted["id"]).json()["order_id"]
    due = purchase(api, buyer_with_identity(api), healthy["id"]).json()["order_id"]
    assert stuck < due

    async def make_due_and_drift(session):
        await session.execute(
            update(Order).where(Order.id.in_([stuck, due])).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.execute(update(Deal).where(Deal.id == drifted["id"]).values(remaining=2, reserved=0))

    async def repair(session):  # leave the shared database's deal as the ledger says
        await session.execute(update(Deal).where(Deal.id == drifted["id"]).values(remaining=1, reserved=1))

    in_db(database_url, make_due_and_drift)
    try:
        # when a sweep runs
        async def sweep() -> int:
            runtime = build_runtime(Settings(database_url=database_url))
            try:
                return await sweeper.sweep_once(runtime.database, runtime.get(FulfillmentContext))
            finally:
                await runtime.close()

        asyncio.run(sweep())

        # then the healthy order expired and the stuck one is still waiting, untouched
        assert _status(database_url, due) == "expired"
        assert _status(database_url, stuck) == "pending_payment"
    finally:
        in_db(database_url, repair)
