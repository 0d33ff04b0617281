"""A buyer's CBEC yearly room is never exceeded across a flash purchase and a normal order racing
each other: each buyer's year holds room for either alone, not both; both are sent at once to a
two-worker server keeping the rooms in Redis (the shared Redis, a key prefix of this module).
Exactly one of each pair is taken, the other is told cbec_annual_limit (422, the contract's CBEC
refusal), the database stays within the limit, and the room in Redis holds what it holds."""

import asyncio
import time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.compliance.year_room import Held
from kuajing.models import Order
from tests.auth.factories import bulk_buyers_with_identity, seller_with_profile
from tests.catalog.factories import create_product, stock_of
from tests.compliance.room_factories import (
    ANNUAL_LIMIT,
    db_years,
    person_keys,
    rooms,
    set_db_used,
    this_year,
)
from tests.flash_sale.factories import create_campaign, create_deal, ledger_of, purchase, purchase_body
from tests.flash_sale.races import race, redis_race_server
from tests.helpers import Target, in_db
from tests.order.factories import order_body, place
from tests.stock_ledger.redis_factories import RedisDeal, redis_deal
from tests.stock_ledger.redis_servers import delete_prefix, new_prefix, shared_redis_url

BUYERS = 20
# At FX 7.1000 with the seller's $5.00 freight, in fen: one unit of the $20.00 deal, and one
# $30.00 bottle ordered normally (checked against a probe buyer's orders below).
DEAL_UNIT = 14200 + 3550
ONE_BOTTLE = 21300 + 3550


@pytest.fixture(scope="module")
def redis_url():
    """The shared Redis server; this module keeps to its own key prefix on it."""
    return shared_redis_url()


@pytest.fixture(scope="module")
def prefix(redis_url):
    prefix = new_prefix()
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture(scope="module")
def redis_workers(database_url, redis_url, prefix, tmp_path_factory):
    """Two workers keeping the rooms in Redis, the rule book reloaded on every request (kept 0
    s). So this race is also the one that once stalled a worker: a flash purchase, whose session
    gives its connection back (db.end_read), led the rule book's single-flight load while ten
    normal orders, each holding one of the worker's ten connections, waited for that load; the
    pool stalled for its 30 s timeout and every request was answered 503. Such loads now read on
    the batched lookups' pool when their caller holds no connection (db.reading)."""
    server = redis_race_server(
        database_url, redis_url, prefix, tmp_path_factory.mktemp("year-room-races"), rules_cache_seconds="0"
    )
    yield server.url
    server.stop()


def orders_of(target: Target, buyer_ids: list[int]) -> dict[int, int]:
    """{order id: buyer id} of the buyers' orders waiting for payment."""

    async def read(session: AsyncSession) -> dict[int, int]:
        rows = await session.execute(
            select(Order.id, Order.buyer_id).where(
                Order.buyer_id.in_(buyer_ids), Order.status == "pending_payment"
            )
        )
        return dict(rows.all())

    return in_db(target, read, write=False)


def written(target: Target, buyer_ids: list[int], count: int) -> dict[int, int]:
    """orders_of, once `count` are there: a purchase answered before its order is written
    (PostgreSQL takes its order id ahead) is written a moment later."""
    deadline = time.monotonic() + 15
    while True:
        found = orders_of(target, buyer_ids)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_flash_purchase_and_a_normal_order_racing_for_one_buyers_last_room_are_not_both_taken(
    live_api, operator_token, database_url, redis_url, prefix, redis_workers
):
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=50)
    deal_wine = create_product(live_api, seller, stock=40)
    deal = create_deal(
        live_api,
        seller,
        create_campaign(live_api, operator_token)["id"],
        deal_wine["id"],
        quantity=30,
        per_buyer_limit=1,
    )
    probe, *buyers = bulk_buyers_with_identity(database_url, BUYERS + 1)
    ids = [buyer.id for buyer in buyers]
    keys = person_keys(database_url, [probe.id, *ids])
    year = this_year()

    # what each order takes of a year, learned from a probe buyer who buys one of each
    with httpx.Client(base_url=redis_workers, timeout=30) as client:
        bought = purchase(client, probe, deal["id"])
        assert bought.status_code == 201, bought.text
        ordered = place(client, probe, [(wine["id"], 1)])
        assert ordered.status_code == 201, ordered.text
    assert written(database_url, [probe.id], 2) == {
        bought.json()["order_id"]: probe.id,
        ordered.json()["id"]: probe.id,
    }
    assert db_years(database_url, [keys[probe.id]], year)[keys[probe.id]] == Held(DEAL_UNIT + ONE_BOTTLE, {})

    # given buyers who each used all of the year but one bottle's value: a deal unit or a bottle
    # fits, not both
    used = ANNUAL_LIMIT - max(DEAL_UNIT, ONE_BOTTLE)
    set_db_used(database_url, [keys[i] for i in ids], year, used)

    # when each buyer buys a unit of the deal and orders a bottle at the same moment (half of
    # them sending the order first)
    requests, sent = [], []
    for n, buyer in enumerate(buyers):
        pair = [
            ("flash", (f"/api/v1/deals/{deal['id']}/purchase", purchase_body(), buyer.headers)),
            ("normal", ("/api/v1/orders", order_body([(wine["id"], 1)]), buyer.headers)),
        ]
        for kind, request in pair if n % 2 else pair[::-1]:
            requests.append(request)
            sent.append((buyer.id, kind))
    responses = asyncio.run(race(redis_workers, requests, connections=len(requests)))
    answers: dict[int, dict[str, httpx.Response]] = {}
    for (buyer_id, kind), response in zip(sent, responses, strict=True):
        answers.setdefault(buyer_id, {})[kind] = response

    # then for every buyer exactly one is taken and the other refused for the yearly limit
    flash_won: set[int] = set()
    placed: dict[int, int] = {}  # order id -> buyer id, from the 201s
    for buyer_id, answer in answers.items():
        flash, normal = answer["flash"], answer["normal"]
        assert sorted([flash.status_code, normal.status_code]) == [201, 422], (flash.text, normal.text)
        refused = normal if normal.status_code == 422 else flash
        assert refused.json()["code"] == "cbec_annual_limit", refused.text
        if flash.status_code == 201:
            flash_won.add(buyer_id)
            placed[flash.json()["order_id"]] = buyer_id
        else:
            placed[normal.json()["id"]] = buyer_id
    print(f"\nof {BUYERS} buyers, {len(flash_won)} got the deal's unit and the others the bottle")
    # every 201's order is in the database, and no other
    assert written(database_url, ids, BUYERS) == placed
    # each buyer's year holds the winner's value (at most used + ONE_BOTTLE, the limit exactly),
    # in the database and in Redis
    expected = {
        keys[buyer_id]: Held(used + (DEAL_UNIT if buyer_id in flash_won else ONE_BOTTLE), {})
        for buyer_id in ids
    }
    assert db_years(database_url, list(expected), year) == expected
    assert rooms(redis_url, prefix, list(expected), year) == expected
    # and the deal's units: the winners' taken, the refused given back, in Redis as in the database
    left = 30 - 1 - len(flash_won)
    assert ledger_of(database_url, deal["id"]).remaining == left
    assert redis_deal(redis_url, deal["id"], prefix=prefix) == RedisDeal(
        stock=[left], buyers={probe.id: 1, **{buyer_id: 1 for buyer_id in flash_won}}, entries=0
    )
    assert stock_of(live_api, wine["id"]) == 50 - 1 - (BUYERS - len(flash_won))
