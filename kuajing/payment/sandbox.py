"""The demo's provider: no money moves. Its "checkout" is the order's own page, where the buyer
presses pay (POST /api/v1/payments/{id}/sandbox-pay); every refund goes through.

It needs no keys and calls nothing; it is offered only while no real provider is configured
(or KUAJING_PAYMENT_SANDBOX says so). It keeps no state, so its query knows of no payment (a
sandbox payment is never captured behind the buyer's back); its references are derived from
our ids, so asking twice answers the same.
"""

import hashlib
from collections.abc import Mapping

from kuajing.payment.providers import (
    Answer,
    Checkout,
    Declaration,
    DeclarationRequest,
    Notification,
    NotificationRefused,
    PaymentRequest,
    RefundRequest,
    RefundState,
    TradeState,
)


def _reference(kind: str, key: str) -> str:
    return f"sandbox_{kind}{hashlib.sha256(key.encode()).hexdigest()[:24]}"


class SandboxProvider:
    name = "sandbox"
    declares = False  # no payment company stands behind it (see declare)

    def __init__(self, public_url: str) -> None:
        self._public_url = public_url.rstrip("/")

    async def start(self, request: PaymentRequest) -> Checkout:
        return Checkout(redirect_url=f"{self._public_url}/orders/{request.order_id}")

    def read_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        raise NotificationRefused("not_supported", "The sandbox sends no notifications.")

    def answer(self, accepted: bool) -> Answer:
        return Answer(200 if accepted else 400, "text/plain", "success" if accepted else "failure")

    def reference(self, payment_id: int) -> str:
        """The transaction number of a sandbox payment the buyer paid."""
        return _reference("", str(payment_id))

    async def query(self, payment_id: int) -> TradeState:
        return TradeState(status="pending")

    async def refund(self, request: RefundRequest) -> RefundState:
        return RefundState(status="succeeded", reference=_reference("refund_", request.request_no))

    async def query_refund(self, payment_id: int, request_no: str) -> RefundState:
        return RefundState(status="succeeded", reference=_reference("refund_", request_no))

    async def close(self, payment_id: int) -> None:
        return None

    async def declare(self, request: DeclarationRequest) -> Declaration | None:
        # no payment company stands behind the sandbox: nothing is declared to customs
        return None
