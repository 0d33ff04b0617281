"""The SQL ledger in the test process: attempts arriving together share one transaction, up to the
batch size, and the units still go to exactly as many attempts as the deal has. Live: each test
drives its own ledger on the committed database, in its own event loop, so the deals are made
through the live server."""

import asyncio

from sqlalchemy import select

from kuajing.compliance import year
from kuajing.db import Database
from kuajing.flash_sale.ledger import Refused, Reserved
from kuajing.kit.time import beijing_year, utcnow
from kuajing.models import AnnualQuantityUsage, AnnualUsage, BuyerIdentity, DealBuyer, Order
from kuajing.sealing import keyring_of
from kuajing.stock_ledger.group_commit import GroupCommitLedger
from tests.auth.factories import (
    bulk_buyers_with_identity,
    seller_with_profile,
)
from tests.catalog.factories import create_product, sugar
from tests.compliance.factories import add_rows, tax_row
from tests.flash_sale.factories import annual_used, create_campaign, create_deal, holders, ledger_of
from tests.helpers import in_db
from tests.stock_ledger.redis_factories import prepared


def _buy_together(
    database_url, deal_id, buyers, *, window_seconds=0.5, max_batch=200, quantity=1, quantities=None
):
    async def run():
        database = Database(database_url)
        ledger = GroupCommitLedger(
            database, window_seconds=window_seconds, max_batch=max_batch, sold_out_recheck_seconds=5
        )
        try:
            attempts = await prepared(database, deal_id, buyers, quantity=quantity, quantities=quantities)
            outcomes = await asyncio.gather(*(ledger.purchase(attempt) for attempt in attempts))
            return outcomes, ledger.batches, ledger.known_sold_out(deal_id)
        finally:
            await ledger.close()
            await database.dispose()

    return asyncio.run(run())


def _deal(live_api, operator_token, quantity, per_buyer_limit=1, product=None):
    seller = seller_with_profile(live_api)
    wine = (product or create_product)(live_api, seller, stock=quantity)
    return create_deal(
        live_api,
        seller,
        create_campaign(live_api, operator_token)["id"],
        wine["id"],
        quantity=quantity,
        per_buyer_limit=per_buyer_limit,
    )


def test_attempts_arriving_together_share_one_transaction(live_api, operator_token, database_url):
    deal = _deal(live_api, operator_token, 20)
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


def test_a_full_batch_goes_without_waiting_for_the_window(live_api, operator_token, database_url):
    deal = _deal(live_api, operator_token, 40)
    buyers = bulk_buyers_with_identity(database_url, 30)

    outcomes, batches, sold_out = _buy_together(
        database_url, deal["id"], buyers, window_seconds=0.5, max_batch=8
    )

    assert batches == 4  # 8 + 8 + 8 + 6
    assert all(isinstance(o, Reserved) for o in outcomes)
    assert sold_out is False
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (10, 30, 30)


def test_a_buyer_refused_by_the_yearly_limit_inside_a_batch_takes_no_unit(
    live_api, operator_token, database_url
):
    # given a buyer whose CBEC year has room for one $20.00 bottle with its $5.00 freight, not two
    deal = _deal(live_api, operator_token, 10, per_buyer_limit=5)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)
    one_bottle = 14200 + 3550  # goods and freight in fen: what the yearly limit counts
    held = 2_600_000 - one_bottle - 100

    async def hold(session):
        identity = await session.get(BuyerIdentity, buyer.id)
        taken = await year.take_annuals(
            session, taking=[(identity.id_number, beijing_year(utcnow()), held)], limit=2_600_000
        )
        assert taken == [True]

    in_db(database_url, hold)

    # when two attempts, each priced and checked while the year still had room, share a batch
    outcomes, batches, _ = _buy_together(database_url, deal["id"], [buyer, buyer])

    # then the guarded counter lets exactly one through; the other gets its CBEC code, no unit
    assert batches == 1
    assert sorted(type(o).__name__ for o in outcomes) == ["Refused", "Reserved"]
    assert [o.error.code for o in outcomes if isinstance(o, Refused)] == ["cbec_annual_limit"]
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders, ledger.most_units_per_buyer) == (9, 1, 1, 1)
    assert annual_used(database_url, [buyer.id]) == {buyer.id: held + one_bottle}


def test_two_accounts_of_one_person_in_a_batch_share_the_yearly_cap(live_api, operator_token, database_url):
    # given sugar (capped at 2,000 g a person a year), and a person whose ID number moves from one
    # account to another (an operator resolving a claim) while the first's attempt is in flight
    add_rows(database_url, "tax_rules", [tax_row("1701")])
    deal = _deal(live_api, operator_token, 10, per_buyer_limit=5, product=sugar)
    first, twin = bulk_buyers_with_identity(database_url, 2)

    async def move_number(session):
        held = await session.get(BuyerIdentity, first.id)
        await session.delete(held)
        await session.flush()
        moved = await session.get(BuyerIdentity, twin.id)
        moved.id_number, moved.person_key = held.id_number, held.person_key
        return held.id_number

    # when each asks for three 500 g bags in the same batch
    async def run():
        database = Database(database_url)
        ledger = GroupCommitLedger(database, window_seconds=0.5, max_batch=200, sold_out_recheck_seconds=5)
        try:
            attempts = await prepared(database, deal["id"], [first], quantity=3)
            async with database.transaction(write=True) as session:
                number = await move_number(session)
            attempts += await prepared(database, deal["id"], [twin], quantity=3)
            outcomes = await asyncio.gather(*(ledger.purchase(attempt) for attempt in attempts))
            return outcomes, ledger.batches, number
        finally:
            await ledger.close()
            await database.dispose()

    outcomes, batches, id_number = asyncio.run(run())

    # then the person gets 1,500 g once; the other account is refused with the cap's code and
    # keeps nothing: no units of the deal, no yuan of the year, no grams
    assert batches == 1  # one statement per counter cannot hold the person twice: two rounds
    assert sorted(type(o).__name__ for o in outcomes) == ["Refused", "Reserved"]
    assert [o.error.code for o in outcomes if isinstance(o, Refused)] == ["yearly_quantity_cap"]
    (winner,) = (b.id for b, o in zip([first, twin], outcomes, strict=True) if isinstance(o, Reserved))
    loser = twin.id if winner == first.id else first.id
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (7, 3, 1)
    assert holders(database_url, deal["id"]) == {winner}

    async def counters(session):
        units = dict((await session.execute(select(DealBuyer.buyer_id, DealBuyer.units))).all())
        person = keyring_of(session.get_bind().dialect).person_key(id_number)
        grams = await session.scalar(
            select(AnnualQuantityUsage.used_quantity).where(AnnualQuantityUsage.person_key == person)
        )
        used = await session.scalar(select(AnnualUsage.used_amount).where(AnnualUsage.person_key == person))
        dutiable = await session.scalar(select(Order.dutiable_amount).where(Order.buyer_id == winner))
        return units.get(winner), units.get(loser, 0), grams, used, dutiable

    winner_units, loser_units, grams, used, dutiable = in_db(database_url, counters, write=False)
    assert (winner_units, loser_units, grams, used) == (3, 0, 1500, dutiable)


def test_units_a_refused_attempt_frees_go_to_the_next_buyer_in_id_order(
    live_api, operator_token, database_url
):
    # given 2 units, and three buyers in ID-number order: A already holds the per-buyer limit of
    # 2 (so is refused inside the batch), B asks for 2, C for 1
    deal = _deal(live_api, operator_token, 2, per_buyer_limit=2)
    accounts = bulk_buyers_with_identity(database_url, 3)

    async def id_numbers(session):
        rows = await session.execute(select(BuyerIdentity.user_id, BuyerIdentity.id_number))
        return dict(rows.all())

    numbers = in_db(database_url, id_numbers, write=False)
    a, b, c = sorted(accounts, key=lambda account: numbers[account.id])

    async def hold_the_limit(session):
        session.add(DealBuyer(deal_id=deal["id"], buyer_id=a.id, units=2))

    in_db(database_url, hold_the_limit)

    # when all three arrive in one batch
    outcomes, batches, _ = _buy_together(database_url, deal["id"], [c, b, a], quantities=[1, 2, 1])

    # then A is refused, and the 2 units A's refusal leaves go to B, before C
    assert batches == 1
    answers = dict(zip(["C", "B", "A"], outcomes, strict=True))
    assert isinstance(answers["B"], Reserved)
    assert (answers["A"].error.code, answers["C"].error.code) == ("buyer_limit_reached", "sold_out")
    ledger = ledger_of(database_url, deal["id"])
    assert (ledger.remaining, ledger.reserved, ledger.orders) == (0, 2, 1)
    assert holders(database_url, deal["id"]) == {b.id}
