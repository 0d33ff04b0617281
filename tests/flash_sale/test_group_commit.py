"""The SQL ledger in-process: attempts arriving together share one transaction, up to the batch
size, and the units still go to exactly as many attempts as the deal has."""

import asyncio

from kuajing.db import Database
from kuajing.flash_sale import service
from kuajing.flash_sale.group_commit import GroupCommitLedger
from kuajing.flash_sale.ledger import Refused, Reserved
from kuajing.kit.time import utcnow
from tests.auth.factories import bulk_buyers_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.flash_sale.factories import create_campaign, create_deal, holders, ledger_of


def _buy_together(database_url, deal_id, buyers, *, window_seconds, max_batch):
    async def run():
        database = Database(database_url)
        ledger = GroupCommitLedger(
            database, window_seconds=window_seconds, max_batch=max_batch, sold_out_recheck_seconds=5
        )
        try:
            async with database.transaction(write=False) as session:
                deal = await service.deal_facts(session, deal_id=deal_id)
                attempts = [
                    await service.prepare_attempt(
                        session,
                        deal=deal,
                        buyer_id=buyer.id,
                        quantity=1,
                        risk_notice_accepted=True,
                        risk_notice_version=None,
                        shipping_address=None,
                        ttl_seconds=300,
                        idempotency=None,
                        now=utcnow(),
                    )
                    for buyer in buyers
                ]
            outcomes = await asyncio.gather(*(ledger.purchase(attempt) for attempt in attempts))
            return outcomes, ledger.batches, ledger.known_sold_out(deal_id)
        finally:
            await ledger.close()
            await database.dispose()

    return asyncio.run(run())


def _deal(api, operator_token, quantity):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=quantity)
    return create_deal(
        api,
        seller,
        create_campaign(api, operator_token)["id"],
        wine["id"],
        quantity=quantity,
        per_buyer_limit=1,
    )


def test_attempts_arriving_together_share_one_transaction(api, operator_token, database_url):
    deal = _deal(api, operator_token, 20)
    buyers = bulk_buyers_with_identity(database_url, 30)

    outcomes, batches, sold_out = _buy_together(
        database_url, deal["id"], buyers, window_seconds=0.5, max_batch=200
    )

    assert batches == 1
    reserved = [buyer.id for buyer, o in zip(buyers, outcomes, strict=True) if isinstance(o, Reserved)]
    assert len(reserved) == 20
    assert [o.error.code for o in outcomes if isinstance(o, Refused)] == ["sold_out"] * 10
    assert len({o.order_id for o in outcomes if isinstance(o, Reserved)}) == 20
    assert holders(database_url, deal["id"]) == set(reserved)
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (0, 20, 20)
    assert sold_out is True  # the worker now answers sold_out from memory


def test_a_full_batch_goes_without_waiting_for_the_window(api, operator_token, database_url):
    deal = _deal(api, operator_token, 40)
    buyers = bulk_buyers_with_identity(database_url, 30)

    outcomes, batches, sold_out = _buy_together(
        database_url, deal["id"], buyers, window_seconds=0.5, max_batch=8
    )

    assert batches == 4  # 8 + 8 + 8 + 6
    assert all(isinstance(o, Reserved) for o in outcomes)
    assert sold_out is False
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (10, 30, 30)
