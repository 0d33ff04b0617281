"""The return flow below HTTP: the window's exact last second with an injected clock, and a refund
the gateway declines, which must leave the order, its events and the yearly room as they were."""

from datetime import UTC, datetime, timedelta

import pytest

from kuajing.errors import Conflict
from kuajing.fulfillment import returns
from kuajing.models import Role
from kuajing.order import service as order_service
from kuajing.order.errors import ReturnWindowClosed
from kuajing.order.service import Viewer
from kuajing.payment import gateway
from kuajing.payment import service as payment_service
from kuajing.payment.errors import RefundDeclined
from kuajing.payment.gateway import Gateways, Refund
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import fulfillment_context, in_db
from tests.order.return_factories import (
    ask_return,
    delivered_order,
    set_delivered_at,
    snapshot,
)

DELIVERED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def delivered_pair(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    orders = [delivered_order(api, buyer, seller, [(wine["id"], 1)]) for _ in range(2)]
    for order in orders:
        set_delivered_at(app, order["id"], DELIVERED)
    return seller, buyer, orders


def _ask_at(target, order_id, buyer_id, now):
    async def ask(session):
        order = await returns.request_return(
            session, order_id=order_id, buyer_id=buyer_id, reason="破损", now=now
        )
        return order.status

    return in_db(target, ask, write=True)


def test_a_request_at_exactly_thirty_days_is_in_time_and_one_second_later_is_not(api, app, delivered_pair):
    _seller, buyer, (last_second, too_late) = delivered_pair

    assert _ask_at(app, last_second["id"], buyer.id, DELIVERED + timedelta(days=30)) == ("return_requested")

    before = snapshot(api, app, too_late["id"], buyer)
    with pytest.raises(ReturnWindowClosed):
        _ask_at(app, too_late["id"], buyer.id, DELIVERED + timedelta(days=30, seconds=1))
    assert snapshot(api, app, too_late["id"], buyer) == before


class DecliningGateway:
    async def charge(self, *, order_id, amount, currency):  # pragma: no cover - never charged here
        raise AssertionError("a return never charges")

    async def refund(self, *, order_id, charge_reference, amount, currency, idempotency_key):
        return Refund(reference="declined", approved=False)


def test_a_declined_refund_changes_nothing(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, app, order["id"], buyer)
    assert before["payment"] == "captured"
    context = fulfillment_context(DecliningGateway())

    async def accept(session):
        await returns.accept_return(
            session, context, order_id=order["id"], viewer=Viewer(seller.id, Role.seller), restock=True
        )

    with pytest.raises(RefundDeclined):
        in_db(app, accept, write=True)
    assert snapshot(api, app, order["id"], buyer) == before


def test_a_payment_is_refunded_at_most_once_even_past_the_order_guard(api, app):
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
        in_db(app, refund_again, write=True)
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


def test_a_refund_retried_after_a_failed_commit_reaches_the_gateway_with_the_same_key(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, app, order["id"], buyer)
    recording = RecordingGateway()
    context = fulfillment_context(recording)

    async def accept_then_fail(session):
        await returns.accept_return(
            session, context, order_id=order["id"], viewer=Viewer(seller.id, Role.seller), restock=False
        )
        raise CommitFailed  # everything after the gateway's answer rolls back

    with pytest.raises(CommitFailed):
        in_db(app, accept_then_fail, write=True)
    assert snapshot(api, app, order["id"], buyer) == before

    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)
    assert accepted.status_code == 200, accepted.text
    # the in-process attempt reached the recording gateway; the server's one is a sandbox of its
    # own, which derives the same reference from the same key
    ((key, reference),) = recording.refunds
    assert accepted.json()["return_request"]["refund"]["reference"] == reference
    assert key.startswith("kuajing-refund-payment-")
