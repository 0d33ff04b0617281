"""The buyers' CBEC yearly room in Redis (kuajing/compliance/year_room.py) holds, to the fen, what
the database's counters hold: after a flash purchase Redis admitted and its expiry, after normal
orders placed, cancelled, paid and partly refunded, after a Redis flush (the next order sets the
room from the database), after a reservation Redis refuses (nothing moves), and after an order
refused once its room was reserved (the database refusing a flash purchase; an order, over the
API or from the checkout page, losing the last bottle between its read and its stock take).

Every test runs on this module's own redis-server (so one may flush it) and the session's
committed database: the flash purchase through a Redis ledger in the test process (as
tests/stock_ledger/test_redis_ledger.py drives one), everything else over HTTP on a one-worker
server with Redis configured. The session's own server (no Redis) makes the sellers, products
and deals. The room is read after each response with no waiting: a give-back follows its commit
(db.after_commit) when the request's transaction block ends, before the response is sent
(runtime.SessionDep is a function-scoped dependency), so a room one step behind fails here."""

import asyncio
from datetime import timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from kuajing.compliance.year_room import Held
from kuajing.flash_sale.ledger import Refused, Reserved
from kuajing.fulfillment import service as fulfillment_service
from kuajing.kit.time import utcnow
from tests.auth.factories import bulk_buyers_with_identity, buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product, sugar
from tests.compliance.factories import add_rows, tax_row
from tests.compliance.room_factories import (
    ANNUAL_LIMIT,
    db_year,
    forget_facts,
    person_keys,
    room_of,
    set_db_used,
    set_room_used,
    this_year,
)
from tests.flash_sale.factories import create_campaign, create_deal, ledger_of, purchase, wine_deal_of
from tests.helpers import assert_problem, fulfillment_context
from tests.live import start_server
from tests.order.factories import order_ids, place
from tests.stock_ledger.redis_factories import RedisDeal, prepared, redis_deal, redis_ledger
from tests.stock_ledger.redis_servers import new_prefix
from tests.web.factories import ADDRESS, at_checkout, csrf_of, page_text, signed_in

# At FX 7.1000 with the seller's $5.00 freight (35.50 CNY), in fen: what the yearly limit counts
# (goods and freight) of each order below.
FREIGHT = 3550
ONE_BOTTLE = 21300 + FREIGHT  # the $30.00 wine
TWO_BOTTLES = 2 * 21300 + FREIGHT
SUGAR = 3550  # a $5.00 bag of sugar: 500 g of HS 1701, capped at 2,000 g a person a year
BOTTLE_AND_SUGAR = 21300 + SUGAR + FREIGHT
DEAL_UNIT = 14200 + FREIGHT  # one unit of a deal at $20.00
# refunding one of two bottles gives back its goods and half the order's freight
ONE_OF_TWO_REFUNDED = 21300 + FREIGHT // 2


@pytest.fixture(scope="module")
def prefix():
    return new_prefix()


@pytest.fixture(scope="module")
def redis_api(database_url, own_redis, prefix, tmp_path_factory):
    """A one-worker server keeping the rooms in this module's Redis."""
    server = start_server(
        database_url,
        tmp_path_factory.mktemp("year-room") / "server.log",
        sweep_interval_seconds="0",
        redis_url=own_redis.url,
        redis_prefix=prefix,
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
    server.stop()


def placed(api: httpx.Client, buyer, lines) -> dict:
    response = place(api, buyer, lines)
    assert response.status_code == 201, response.text
    return response.json()


def person_of(database_url: str, buyer) -> str:
    return person_keys(database_url, [buyer.id])[buyer.id]


def test_a_flash_purchase_reserves_its_room_and_its_expiry_gives_it_back(
    live_api, operator_token, database_url, own_redis, prefix
):
    # given a buyer who used 1,000.00 CNY of the year before Redis knew them
    deal = wine_deal_of(live_api, operator_token, 2, per_buyer_limit=1)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)
    person, year = person_of(database_url, buyer), this_year()
    set_db_used(database_url, [person], year, 100_000)

    async def buy():
        async with redis_ledger(database_url, own_redis.url, prefix=prefix) as ledger:
            (attempt,) = await prepared(ledger.database, deal["id"], [buyer])
            assert (await ledger.database.keyring()).person_key(attempt.id_number) == person
            held = await ledger.purchase(attempt)
            assert isinstance(held, Reserved)
            return attempt.dutiable, held.order_id, await ledger.room.held(person, year)

    async def expire(order_id):
        async with redis_ledger(database_url, own_redis.url, prefix=prefix) as ledger:
            async with ledger.database.transaction(write=True) as session:
                assert await fulfillment_service.expire_order(
                    session, fulfillment_context(), order_id=order_id, now=utcnow() + timedelta(hours=1)
                )
            await ledger.released([order_id])
            return await ledger.room.held(person, year)

    # when Redis admits a purchase of one unit
    dutiable, order_id, room_bought = asyncio.run(buy())
    db_bought = db_year(database_url, person, year)
    # and the sweeper's step expires its order (as if its time had passed)
    room_expired = asyncio.run(expire(order_id))

    # then the room was set from the database and took the unit's dutiable value, as the database did
    assert dutiable == DEAL_UNIT
    assert room_bought == db_bought == Held(100_000 + DEAL_UNIT, {})
    # and the expiry gave it back in both
    assert room_expired == db_year(database_url, person, year) == Held(100_000, {})
    assert ledger_of(database_url, deal["id"]).remaining == 2


def test_normal_orders_placed_cancelled_paid_and_refunded_keep_the_room_equal_to_the_database(
    live_api, redis_api, database_url, own_redis, prefix
):
    add_rows(database_url, "tax_rules", [tax_row("1701")])  # sugar: 2,000 g a year per person
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=10)
    bag = sugar(live_api, seller)
    buyer = buyer_with_identity(live_api)
    person, year = person_of(database_url, buyer), this_year()

    def both() -> tuple[Held | None, Held]:
        return room_of(own_redis.url, prefix, person, year), db_year(database_url, person, year)

    assert both() == (None, Held(0, {}))

    # when the buyer places two orders (one with 500 g of capped sugar)
    first = placed(redis_api, buyer, [(wine["id"], 1), (bag["id"], 1)])
    assert both() == (Held(BOTTLE_AND_SUGAR, {"1701": 500}),) * 2
    second = placed(redis_api, buyer, [(wine["id"], 2)])
    assert both() == (Held(BOTTLE_AND_SUGAR + TWO_BOTTLES, {"1701": 500}),) * 2

    # and cancels the first, unpaid
    cancelled = redis_api.post(f"/api/v1/orders/{first['id']}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert both() == (Held(TWO_BOTTLES, {"1701": 0}),) * 2

    # and pays the second, of which the seller refunds one bottle
    paid = redis_api.post(
        f"/api/v1/orders/{second['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers
    )
    assert paid.json()["status"] == "paid", paid.text
    assert both() == (Held(TWO_BOTTLES, {"1701": 0}),) * 2
    refunded = redis_api.post(
        f"/api/v1/orders/{second['id']}/refunds",
        json={"lines": [{"product_id": wine["id"], "quantity": 1}], "reason": "破损"},
        headers=seller.headers,
    )
    assert refunded.status_code == 201, refunded.text

    # then the room gave back what the database did, by the time the answer came
    assert both() == (Held(TWO_BOTTLES - ONE_OF_TWO_REFUNDED, {"1701": 0}),) * 2


def test_after_a_redis_flush_the_next_order_sets_the_room_from_the_database(
    live_api, redis_api, database_url, own_redis, prefix
):
    # given a buyer with two orders, one placed while Redis kept the room and one it never saw
    # (placed on the session's server, which runs without Redis)
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=10)
    buyer = buyer_with_identity(live_api)
    person, year = person_of(database_url, buyer), this_year()
    placed(redis_api, buyer, [(wine["id"], 1)])
    placed(live_api, buyer, [(wine["id"], 2)])
    assert room_of(own_redis.url, prefix, person, year) == Held(ONE_BOTTLE, {})

    # when Redis loses everything
    own_redis.client(own_redis.ports[0]).flushall()
    assert room_of(own_redis.url, prefix, person, year) is None

    # then the next order sets the room from the database, and takes its own value on top
    placed(redis_api, buyer, [(wine["id"], 1)])
    expected = Held(ONE_BOTTLE + TWO_BOTTLES + ONE_BOTTLE, {})
    assert room_of(own_redis.url, prefix, person, year) == expected
    assert db_year(database_url, person, year) == expected


@pytest.mark.parametrize(
    ("kept", "detail"),
    [
        # Redis no longer keeps the buyer's identity: the quote reads the year from the database
        # and lets the order through, and the room's reservation refuses it
        (False, "This order would pass your {year} cross-border yearly limit."),
        # Redis keeps it (the first order left it there): the quote reads the room, and refuses
        # with the total the order would reach (26,000.00 - 1.00 + 248.50 CNY)
        (
            True,
            "This order would take your {year} cross-border total to 26247.50 CNY, "
            "above the 26000.00 CNY yearly limit.",
        ),
    ],
    ids=["quote-reads-the-database", "quote-reads-redis"],
)
def test_an_order_over_the_room_redis_holds_is_answered_cbec_annual_limit_and_moves_nothing(
    kept, detail, live_api, redis_api, database_url, own_redis, prefix
):
    # given a buyer with one order, whose room in Redis holds all but 1.00 CNY of the year (more
    # than the database says)
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=10)
    buyer = buyer_with_identity(live_api)
    person, year = person_of(database_url, buyer), this_year()
    first = placed(redis_api, buyer, [(wine["id"], 1)])
    set_room_used(own_redis.url, prefix, person, year, ANNUAL_LIMIT - 100)
    if not kept:
        forget_facts(own_redis.url, prefix, buyer.id)

    # when the buyer orders another bottle
    refused = place(redis_api, buyer, [(wine["id"], 1)])

    # then it is refused (the database would have taken it), and nothing moved
    body = assert_problem(refused, 422, "cbec_annual_limit")
    assert body["detail"] == detail.format(year=year)
    assert room_of(own_redis.url, prefix, person, year) == Held(ANNUAL_LIMIT - 100, {})
    assert db_year(database_url, person, year) == Held(ONE_BOTTLE, {})
    assert order_ids(redis_api, buyer) == [first["id"]]


def test_a_flash_purchase_redis_refuses_for_the_room_gives_its_unit_back(
    live_api, operator_token, redis_api, database_url, own_redis, prefix
):
    # given a buyer whose room in Redis holds all but 1.00 CNY of the year, and a 3-unit deal;
    # Redis no longer keeps the buyer's identity, so the purchase reads the year from the
    # database, and the take is the first to see the room
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=10)
    deal = create_deal(
        live_api,
        seller,
        create_campaign(live_api, operator_token)["id"],
        wine["id"],
        quantity=3,
        per_buyer_limit=1,
    )
    buyer = buyer_with_identity(live_api)
    person, year = person_of(database_url, buyer), this_year()
    placed(redis_api, buyer, [(wine["id"], 1)])
    set_room_used(own_redis.url, prefix, person, year, ANNUAL_LIMIT - 100)
    forget_facts(own_redis.url, prefix, buyer.id)

    # when the buyer buys a unit
    refused = purchase(redis_api, buyer, deal["id"])

    # then the room refuses it after the unit was taken, and the unit is back in Redis
    body = assert_problem(refused, 422, "cbec_annual_limit")
    assert body["detail"] == f"This order would pass your {year} cross-border yearly limit."
    assert redis_deal(own_redis.url, deal["id"], prefix=prefix) == RedisDeal(stock=[3], buyers={}, entries=0)
    assert ledger_of(database_url, deal["id"]).remaining == 3
    assert room_of(own_redis.url, prefix, person, year) == Held(ANNUAL_LIMIT - 100, {})
    assert db_year(database_url, person, year) == Held(ONE_BOTTLE, {})


def losing_the_last_bottle(database_url: str, product_id: int, send, reserved) -> httpx.Response:
    """`send()`'s answer, sent while another order takes the product's last unit: the other
    order's update holds the row (not committed, so `send`'s fresh read still finds the unit)
    until `send` has reserved its room (`reserved()` is true) and waits for that row; then it
    commits, and `send`'s stock take finds nothing. PostgreSQL only: SQLite runs one write
    transaction at a time, so an order's read and its take never straddle another's commit."""
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("two write transactions interleave on PostgreSQL only")
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def run() -> httpx.Response:
        other = await asyncpg.connect(dsn)
        try:
            taking = other.transaction()
            await taking.start()
            await other.execute("UPDATE products SET stock = stock - 1 WHERE id = $1", product_id)
            answer = asyncio.ensure_future(asyncio.to_thread(send))
            waiting = 0
            for _ in range(200):
                waiting = await other.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if waiting:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 1
            assert await asyncio.to_thread(reserved)
            await taking.commit()
            return await answer
        finally:
            await other.close()

    return asyncio.run(run())


def test_an_order_that_loses_the_last_bottle_after_reserving_its_room_gives_the_room_back(
    live_api, redis_api, database_url, own_redis, prefix
):
    # given a buyer with one order
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=1)
    buyer = buyer_with_identity(live_api)
    person, year = person_of(database_url, buyer), this_year()
    first = placed(redis_api, buyer, [(create_product(live_api, seller, stock=5)["id"], 1)])

    # when they order the last bottle of another wine as someone else's order takes it
    answer = losing_the_last_bottle(
        database_url,
        wine["id"],
        lambda: place(redis_api, buyer, [(wine["id"], 1)]),
        lambda: room_of(own_redis.url, prefix, person, year) == Held(2 * ONE_BOTTLE, {}),
    )

    # then the order is refused, its transaction rolls back, and the room gives back its bottle
    assert_problem(answer, 409, "out_of_stock")
    assert order_ids(redis_api, buyer) == [first["id"]]
    assert db_year(database_url, person, year) == Held(ONE_BOTTLE, {})
    assert room_of(own_redis.url, prefix, person, year) == Held(ONE_BOTTLE, {})


def test_a_page_checkout_that_loses_the_last_bottle_after_reserving_its_room_gives_the_room_back(
    live_api, redis_api, database_url, own_redis, prefix
):
    """As the order above, from the checkout page: the page places its order inside a savepoint
    and answers a refusal with the page, so the request's transaction commits (db.on_rollback
    never runs) and the room must be given back all the same."""
    # given a buyer with one order, and the last bottle of another wine in their cart
    seller = seller_with_profile(live_api, shipping_fee_cents=500)
    wine = create_product(live_api, seller, stock=1)
    buyer = buyer_with_identity(live_api)
    person, year = person_of(database_url, buyer), this_year()
    first = placed(redis_api, buyer, [(create_product(live_api, seller, stock=5)["id"], 1)])
    with signed_in(redis_api, buyer) as browser:
        checkout = at_checkout(browser, seller, wine["id"])
        assert checkout.status_code == 200
        form = {
            **ADDRESS,
            "seller": seller.id,
            "risk_notice_accepted": "yes",
            "csrf_token": csrf_of(checkout),
        }

        # when they place the order from the page as someone else's order takes that bottle
        answer = losing_the_last_bottle(
            database_url,
            wine["id"],
            lambda: browser.post("/checkout", data=form),
            lambda: room_of(own_redis.url, prefix, person, year) == Held(2 * ONE_BOTTLE, {}),
        )

    # then the page says the bottle is gone, nothing was written, and the room holds what the
    # database holds
    assert answer.status_code == 409
    assert "库存不足。" in page_text(answer.text)  # out_of_stock
    assert order_ids(redis_api, buyer) == [first["id"]]
    assert db_year(database_url, person, year) == Held(ONE_BOTTLE, {})
    assert room_of(own_redis.url, prefix, person, year) == Held(ONE_BOTTLE, {})


def test_a_flash_purchase_the_database_refuses_gives_its_room_back(
    live_api, operator_token, database_url, own_redis, prefix
):
    # given a buyer whose year the database holds at all but 1.00 CNY, after the purchase read it
    deal = wine_deal_of(live_api, operator_token, 2, per_buyer_limit=1)
    (buyer,) = bulk_buyers_with_identity(database_url, 1)
    person, year = person_of(database_url, buyer), this_year()

    async def prepare():
        async with redis_ledger(database_url, own_redis.url, prefix=prefix) as ledger:
            (attempt,) = await prepared(ledger.database, deal["id"], [buyer])
            return attempt

    async def buy(attempt):
        async with redis_ledger(database_url, own_redis.url, prefix=prefix) as ledger:
            return await ledger.purchase(attempt), await ledger.room.held(person, year)

    attempt = asyncio.run(prepare())
    set_db_used(database_url, [person], year, ANNUAL_LIMIT - 100)
    # when Redis admits the purchase (the room set from what it read) and the batch applies it
    outcome, room = asyncio.run(buy(attempt))

    # then the database refuses it and the room it reserved is given back
    assert isinstance(outcome, Refused)
    assert outcome.error.code == "cbec_annual_limit"
    assert room == Held(0, {})
    assert db_year(database_url, person, year) == Held(ANNUAL_LIMIT - 100, {})
    assert redis_deal(own_redis.url, deal["id"], prefix=prefix) == RedisDeal(stock=[2], buyers={}, entries=0)
