"""The return flow below HTTP: the window's exact last second with an injected clock, and a refund
the gateway declines, which must leave the order, its events and the yearly room as they were."""

from datetime import UTC, datetime, timedelta

import pytest

from kuajing.errors import Conflict
from kuajing.fulfillment import refunds, returns
from kuajing.models import Role
from kuajing.order import service as order_service
from kuajing.order.errors import ReturnWindowClosed
from kuajing.order.service import Viewer
from kuajing.payment.errors import RefundDeclined
from kuajing.payment.providers import RefundRequest, RefundState
from kuajing.payment.sandbox import SandboxProvider
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


class DecliningProvider(SandboxProvider):
    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:8000")

    async def refund(self, request: RefundRequest) -> RefundState:
        return RefundState(status="failed", detail="ACQ.SELLER_BALANCE_NOT_ENOUGH: the test says no")


def test_a_declined_refund_changes_nothing(api, app):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 2)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, app, order["id"], buyer)
    assert before["payment"] == "captured"
    context = fulfillment_context(DecliningProvider())

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
        await refunds.refund_lines(
            session,
            fulfillment_context(),
            order=stored,
            by_product=None,
            reason="again",
            actor_id=None,
            now=datetime.now(UTC),
        )

    with pytest.raises(Conflict) as refused:
        in_db(app, refund_again, write=True)
    assert refused.value.code == "nothing_to_refund"


class RecordingProvider(SandboxProvider):
    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:8000")
        self.refunds: list[tuple[str, str | None]] = []

    async def refund(self, request: RefundRequest) -> RefundState:
        answer = await super().refund(request)
        self.refunds.append((request.request_no, answer.reference))
        return answer


class CommitFailed(Exception):
    pass


def test_a_refund_retried_after_a_failed_commit_reaches_the_gateway_with_the_same_key(api, app):
    """The provider's refund request number is derived from what was refunded before, so a
    retry after a rollback sends the same one and the provider answers the first refund."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(wine["id"], 1)])
    assert ask_return(api, buyer, order["id"]).status_code == 200
    before = snapshot(api, app, order["id"], buyer)
    recording = RecordingProvider()
    context = fulfillment_context(recording)

    async def accept_then_fail(session):
        await returns.accept_return(
            session, context, order_id=order["id"], viewer=Viewer(seller.id, Role.seller), restock=False
        )
        raise CommitFailed  # everything after the provider's answer rolls back

    with pytest.raises(CommitFailed):
        in_db(app, accept_then_fail, write=True)
    assert snapshot(api, app, order["id"], buyer) == before

    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", headers=seller.headers)
    assert accepted.status_code == 200, accepted.text
    # the in-process attempt reached the recording provider; the app's is a sandbox of its own,
    # which derives the same reference from the same request number
    ((request_no, reference),) = recording.refunds
    assert accepted.json()["return_request"]["refund"]["reference"] == reference
    payment = api.get(f"/api/v1/orders/{order['id']}/payments", headers=buyer.headers).json()["items"][0]
    assert request_no == f"{payment['id']}-0-{order['total']['amount']}"
