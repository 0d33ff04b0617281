"""The return flow below HTTP: the window's exact last second with an injected clock, and a refund
the gateway declines, which must leave the order, its events and the yearly room as they were."""

from datetime import UTC, datetime, timedelta

import pytest

from kuajing.catalog.snapshots import ProductSnapshots
from kuajing.customs.parties import CustomsParties
from kuajing.errors import Conflict
from kuajing.fulfillment import returns
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.models import Role
from kuajing.order import return_window
from kuajing.order import service as order_service
from kuajing.order.errors import ReturnWindowClosed
from kuajing.order.service import Viewer
from kuajing.payment import gateway
from kuajing.payment import service as payment_service
from kuajing.payment.errors import RefundDeclined
from kuajing.payment.gateway import Gateway, Gateways, Refund
from kuajing.settings import Settings
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.order.return_factories import (
    ask_return,
    delivered_order,
    in_database,
    set_delivered_at,
    snapshot,
)

DELIVERED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "open_"),
    [
        (timedelta(0), True),
        (timedelta(days=29, hours=23, minutes=59, seconds=59), True),
        (timedelta(days=30), True),
        (timedelta(days=30, microseconds=1), False),
        (timedelta(days=30, seconds=1), False),
        (timedelta(days=400), False),
    ],
)
def test_the_window_is_thirty_days_to_the_second(after, open_):
    assert return_window.window_open(DELIVERED, DELIVERED + after) is open_
    assert return_window.window_ends_at(DELIVERED) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)


def test_an_order_without_a_delivery_time_has_no_window():
    assert return_window.window_open(None, DELIVERED) is False
    assert return_window.window_ends_at(None) is None


@pytest.fixture
def delivered_pair(api, database_url):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    orders = [delivered_order(api, buyer, seller, [(wine["id"], 1)]) for _ in range(2)]
    for order in orders:
        set_delivered_at(database_url, order["id"], DELIVERED)
    return seller, buyer, orders


def _ask_at(database_url, order_id, buyer_id, now):
    async def ask(session):
        order = await returns.request_return(
            session, order_id=order_id, buyer_id=buyer_id, reason="破损", now=now
        )
        return order.status

    return in_database(database_url, ask, write=True)


def test_a_request_at_exactly_thirty_days_is_in_time_and_one_second_later_is_not(
    api, database_url, delivered_pair
):
    _seller, buyer, (last_second, too_late) = delivered_pair

    assert _ask_at(database_url, last_second["id"], buyer.id, DELIVERED + timedelta(days=30)) == (
        "return_requested"
    )

    before = snapshot(api, database_url, too_late["id"], buyer)
    with pytest.raises(ReturnWindowClosed):
        _ask_at(database_url, too_late["id"], buyer.id, DELIVERED + timedelta(days=30, seconds=1))
    assert snapshot(api, database_url, too_late["id"], buyer) == before


class DecliningGateway:
    async def charge(self, *, order_id, amount, currency):  # pragma: no cover - never charged here
        raise AssertionError("a return never charges")

    async def refund(self, *, order_id, charge_reference, amount, currency, idempotency_key):
        return Refund(reference="declined", approved=False)


def _context(sandbox: Gateway) -> FulfillmentContext:
    """What the in-process return runs with: `sandbox` as the gateway of the sandbox method."""
    parties = CustomsParties.from_settings(Settings())
    return FulfillmentContext(Gateways({"sandbox": sandbox}), parties, ProductSnapshots(0))


def test_a_declined_refund_changes_nothing(api, database_url):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, database_url, order["id"], buyer)
    assert before["payment"] == "captured"
    context = _context(DecliningGateway())

    async def accept(session):
        await returns.accept_return(
            session, context, order_id=order["id"], viewer=Viewer(seller.id, Role.seller), restock=True
        )

    with pytest.raises(RefundDeclined):
        in_database(database_url, accept, write=True)
    assert snapshot(api, database_url, order["id"], buyer) == before


def test_a_payment_is_refunded_at_most_once_even_past_the_order_guard(api, database_url):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)
    assert accepted.status_code == 200, accepted.text

    async def refund_again(session):
        stored = await order_service.reload(session, order["id"])
        await payment_service.refund_payment(session, Gateways.sandbox_only(), order=stored)

    with pytest.raises(Conflict) as refused:
        in_database(database_url, refund_again, write=True)
    assert refused.value.code == "payment_refunded"


class RecordingGateway(gateway.SandboxGateway):
    def __init__(self) -> None:
        self.refunds: list[tuple[str, str]] = []

    async def refund(self, **kwargs):
        answer = await super().refund(**kwargs)
        self.refunds.append((kwargs["idempotency_key"], answer.reference))
        return answer


class CommitFailed(Exception):
    pass


def test_a_refund_retried_after_a_failed_commit_reaches_the_gateway_with_the_same_key(api, database_url):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, database_url, order["id"], buyer)
    recording = RecordingGateway()
    context = _context(recording)

    async def accept_then_fail(session):
        await returns.accept_return(
            session, context, order_id=order["id"], viewer=Viewer(seller.id, Role.seller), restock=False
        )
        raise CommitFailed  # everything after the gateway's answer rolls back

    with pytest.raises(CommitFailed):
        in_database(database_url, accept_then_fail, write=True)
    assert snapshot(api, database_url, order["id"], buyer) == before

    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)
    assert accepted.status_code == 200, accepted.text
    # the in-process attempt reached the recording gateway; the server's one is a sandbox of its
    # own, which derives the same reference from the same key
    ((key, reference),) = recording.refunds
    assert accepted.json()["return_request"]["refund"]["reference"] == reference
    assert key.startswith("kuajing-refund-payment-")
