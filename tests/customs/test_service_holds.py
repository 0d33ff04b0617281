"""Drafts kept on hold instead of failing the payment or shipping that drafts them, and holds
that keep a message from going out."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.customs import drafts, repository, service
from kuajing.customs import exchange as customs_exchange
from kuajing.customs.service import CustomsParties
from kuajing.customs.transport import Incoming, Outgoing
from kuajing.db import Database
from kuajing.models import Order, Product
from kuajing.settings import Settings
from tests.auth.factories import (
    EXAMPLE_EIN,
    Account,
    approve_seller,
    buyer_with_identity,
    register,
    seller_with_profile,
)
from tests.catalog.factories import create_product
from tests.customs.helpers import HEAD, customs_of, exchange, field, paid_order, seller_with_customs_code
from tests.helpers import Target, in_db
from tests.order.factories import place
from tests.order.return_factories import ask_return, delivered_order

NOT_VALID = "(missing, empty once cleaned, or not valid)"


def change(target: Target, model: Any, row_id: int, **values: Any) -> None:
    """Write what the API would refuse today but older rows (or a missed check) may hold."""

    async def write(session: AsyncSession) -> None:
        await session.execute(update(model).where(model.id == row_id).values(**values))

    in_db(target, write, write=True)


def test_a_message_that_fails_its_schema_is_held_and_paying_and_shipping_succeed(api, app):
    # given a product whose Chinese title is nothing but a control character
    seller, _ = seller_with_customs_code(api)
    product = create_product(api, seller, stock=10)
    change(app, Product, product["id"], title_zh="\x01")
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(product["id"], 1)]).json()

    # when the buyer pays
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)

    # then the payment stands and the CEB311 is kept, held, naming the empty itemName
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    held_order = "held: CEB311 fails its schema at OrderList/itemName " + NOT_VALID
    found = customs_of(api, order["id"], seller)
    assert {kind: (m["status"], m["hold_reason"]) for kind, m in found.items()} == {
        "CEB311": ("draft", held_order),
        "CEB411": ("draft", None),
    }
    assert [e["reason"] for e in found["CEB311"]["events"]] == [held_order]

    # when the consignee's name is only an ideographic space and the seller ships
    address = {**order["shipping_address"], "name": "\u3000"}
    change(app, Order, order["id"], shipping_address=address)
    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF0000000001"}, headers=seller.headers
    )

    # then the shipping stands and the CEB511 is held, naming the missing consignee
    assert shipped.status_code == 200, shipped.text
    waybill = customs_of(api, order["id"], seller)["CEB511"]
    assert (waybill["status"], waybill["hold_reason"]) == (
        "draft",
        "held: CEB511 fails its schema at LogisticsHead/consignee " + NOT_VALID,
    )


def save_customs_code(api, seller: Account, code: str) -> None:
    response = api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Test Winery LLC",
            "us_state": "CA",
            "employees": 12,
            "shipping_fee": {"amount": 500, "currency": "USD"},
            "customs_code": code,
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text


def test_a_held_draft_is_released_once(api, app):
    # given a held CEB311 whose seller has since saved a customs code
    seller = seller_with_profile(api)
    order, _ = paid_order(api, seller, quantity=1)
    save_customs_code(api, seller, "3101969REL")
    guid = customs_of(api, order["id"], seller)["CEB311"]["guid"]
    parties = CustomsParties.from_settings(app.settings)
    first_at = datetime(2026, 11, 12, 1, 0, 0, tzinfo=UTC)

    # when two workers that both read it held release it, one after the other
    async def release_twice(session: AsyncSession) -> tuple[bool, bool]:
        seen = await repository.find_by_guid(session, message_type="CEB311", guid=guid)
        assert seen is not None
        stale = {"status": seen.status, "hold_reason": seen.hold_reason, "xml": seen.xml}
        first = await service.release_hold(session, seen, parties, first_at)
        for name, value in stale.items():  # the second worker read it before the first wrote
            setattr(seen, name, value)
        second = await service.release_hold(session, seen, parties, datetime(2026, 11, 12, 2, tzinfo=UTC))
        return first, second

    # then only the first releases it: the XML keeps the first build's appTime, one event says so
    assert in_db(app, release_twice, write=True) == (True, False)
    found = customs_of(api, order["id"], seller)["CEB311"]
    assert (found["status"], found["hold_reason"]) == ("draft", None)
    assert [e["reason"] for e in found["events"]][1:] == [
        "built again with the seller's customs code and released"
    ]
    xml = api.get(f"/api/v1/orders/{order['id']}/customs/CEB311.xml", headers=seller.headers).content
    assert (field(xml, HEAD + "appTime"), field(xml, HEAD + "ebcCode")) == ("20261112090000", "3101969REL")


# live: the operator's `kuajing customs exchange` (a subprocess) must see the returned order
def test_a_returned_order_is_never_declared(live_api, server, database_url):
    # given a seller without a customs code, and its order paid, shipped, delivered and returned
    seller = seller_with_profile(live_api)
    product = create_product(live_api, seller, stock=10)
    buyer = buyer_with_identity(live_api)
    order = delivered_order(live_api, buyer, seller, [(product["id"], 1)])
    assert ask_return(live_api, buyer, order["id"]).status_code == 200
    accepted = live_api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)
    assert accepted.status_code == 200, accepted.text
    # when the seller then saves a customs code and the exchange runs
    save_customs_code(live_api, seller, "3101969RET")
    exchange(server, database_url)
    # then nothing of the returned order was sent
    found = customs_of(live_api, order["id"], seller)
    returned = "held: order returned and refunded"
    assert {kind: (m["status"], m["hold_reason"]) for kind, m in found.items()} == {
        "CEB311": ("draft", returned),
        "CEB411": ("draft", returned),
        "CEB511": ("draft", returned),
    }
    sent = [(server.customs_outbox / f"{kind}_{m['guid']}.xml").exists() for kind, m in found.items()]
    assert sent == [False, False, False]


# live: the operator's `kuajing customs exchange` (a subprocess) sends the first two messages
def test_holding_for_a_return_holds_every_unsent_message_once(live_api, server, database_url):
    # given an order whose CEB311 and CEB411 were sent, then shipped: its CEB511 is a draft
    seller, _ = seller_with_customs_code(live_api)
    order, _ = paid_order(live_api, seller, quantity=1)
    exchange(server, database_url)
    shipped = live_api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF0000000003"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text
    at = datetime(2026, 12, 1, tzinfo=UTC)

    # when the order is held for its return, twice
    async def hold(session: AsyncSession) -> int:
        return await service.hold_for_return(session, order_id=order["id"], actor_id=seller.id, now=at)

    held = [in_db(database_url, hold, write=True) for _ in range(2)]

    # then only the unsent waybill is held, by the first call, with one event saying why
    assert held == [1, 0]
    found = customs_of(live_api, order["id"], seller)
    assert {kind: (m["status"], m["hold_reason"]) for kind, m in found.items()} == {
        "CEB311": ("sent", None),
        "CEB411": ("sent", None),
        "CEB511": ("draft", "held: order returned and refunded"),
    }
    assert [(e["reason"], e["actor_id"]) for e in found["CEB511"]["events"]] == [
        ("drafted", seller.id),
        ("held: order returned and refunded", seller.id),
    ]


class RecordingTransport:
    """An outbox that remembers what it was given; no receipts."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, message: Outgoing) -> None:
        self.sent.append(message.guid)

    def receipts(self) -> Iterator[Incoming]:
        return iter(())

    def done(self, receipt: Incoming) -> None:
        raise AssertionError("no receipts were offered")

    def failed(self, receipt: Incoming, reason: str) -> None:
        raise AssertionError("no receipts were offered")


# live: the operator's `kuajing customs exchange` (a subprocess) first sends what earlier tests left
def test_drafts_that_will_not_be_sent_never_fill_the_batch(live_api, server, database_url, monkeypatch):
    exchange(server, database_url)  # send whatever earlier tests left
    # given a seller with a customs code but a legal name too long for customs: 4 held drafts
    long_named = register(live_api, "seller", name="Long Name Winery")
    response = live_api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Napa " * 30 + "LLC",
            "us_state": "CA",
            "employees": 12,
            "shipping_fee": {"amount": 500, "currency": "USD"},
            "customs_code": "3101969LNG",
            "ein": EXAMPLE_EIN,
        },
        headers=long_named.headers,
    )
    assert response.status_code == 200, response.text
    approve_seller(live_api, long_named, documents=("ein_letter", "state_registration"))
    for _ in range(2):
        held, _ = paid_order(live_api, long_named, quantity=1)
    assert {m["hold_reason"] for m in customs_of(live_api, held["id"], long_named).values()} == {
        drafts.NAME_TOO_LONG
    }
    # and, drafted after them, an order that may go
    seller, _ = seller_with_customs_code(live_api)
    ready, _ = paid_order(live_api, seller, quantity=1)
    transport = RecordingTransport()
    monkeypatch.setattr(service, "SEND_BATCH", 2)

    # when one round of the exchange runs with a batch of 2
    async def run() -> customs_exchange.ExchangeSummary:
        database = Database(database_url)
        try:
            parties = CustomsParties.from_settings(Settings(database_url=database_url))
            return await customs_exchange.exchange_once(database, transport, parties)
        finally:
            await database.dispose()

    summary = asyncio.run(run())

    # then the held drafts were not even read, and the order that may go went
    assert sorted(transport.sent) == sorted(
        m["guid"] for m in customs_of(live_api, ready["id"], seller).values()
    )
    assert (summary.sent, summary.errors) == (2, 0)


def test_a_hold_placed_after_the_exchange_read_a_draft_still_stops_its_send(api, app):
    # given a sendable draft, read by an exchange, then held by a return accepted meanwhile
    seller, _ = seller_with_customs_code(api)
    order, _ = paid_order(api, seller, quantity=1)

    async def ceb311_id(session: AsyncSession) -> int:
        found = await repository.message_of(session, order_id=order["id"], message_type="CEB311")
        assert found is not None
        return found.id

    message_id = in_db(app, ceb311_id)
    at = datetime(2026, 12, 2, tzinfo=UTC)

    async def hold(session: AsyncSession) -> int:
        return await service.hold_for_return(session, order_id=order["id"], actor_id=seller.id, now=at)

    assert in_db(app, hold, write=True) == 2

    # when the exchange's guarded move to sent runs on what it read before the hold
    async def send(session: AsyncSession) -> bool:
        return await repository.move_status(
            session,
            message_id=message_id,
            from_status="draft",
            to_status="sent",
            values={"sent_at": at},
            unheld=True,
        )

    # then it moves nothing
    assert in_db(app, send, write=True) is False
    assert customs_of(api, order["id"], seller)["CEB311"]["status"] == "draft"
