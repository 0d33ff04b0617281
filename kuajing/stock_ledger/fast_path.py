"""The losers' fast path: a purchase on a deal this worker already knows it must refuse is
answered before FastAPI routes the request, parses its body or solves its dependencies.

At 00:00 on 11.11 almost every attempt loses: the deal has not started yet, or it sold out in
the first seconds. Through the framework such a refusal cost about three times a /healthz; here
it costs a regex match and a dictionary look-up. It answers only what the endpoint would answer
from the same memory (`flash_sale.purchase.refusal_from_memory`: not_started, ended, sold_out),
and only for requests that carry a bearer token and no Idempotency-Key (a keyed request may be a
replay, which gets its first answer, so it takes the full path). One difference, by design: the body is
not read, so a malformed body to a sold-out deal is told sold_out rather than invalid_input.

The winners take a fast path too. A keyless purchase with a JSON body that validates is bought
here through the endpoint's own function (flash_sale.endpoints.answer_purchase), its refusals
rendered by the app's own handlers, without FastAPI's routing, dependency solving and exception
middleware: at 11.11 volumes those layers cost a winning order more than its pricing and its
rows together. Anything else (a body that does not parse or validate, another content type, an
Idempotency-Key) goes on to the route with its body replayed, so every error is the route's own.
"""

import json
import re

from pydantic import ValidationError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kuajing import problems
from kuajing.errors import KuajingError
from kuajing.flash_sale.endpoints import answer_purchase
from kuajing.flash_sale.purchase import PurchaseContext, refusal_from_memory
from kuajing.flash_sale.schemas import PurchaseIn
from kuajing.kit.time import utcnow
from kuajing.observability import metrics
from kuajing.observability.access import answered_for
from kuajing.problems import problem
from kuajing.runtime import runtime_in_scope

_PURCHASE = re.compile(r"/api/v1/deals/([1-9][0-9]{0,17})/purchase")
PURCHASE_ROUTE = "/api/v1/deals/{deal_id}/purchase"  # the endpoint this stands in for, in the metrics


class LosersFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = _PURCHASE.fullmatch(scope["path"])
            if match is not None:
                names = {name for name, _value in scope["headers"]}
                runtime = runtime_in_scope(scope)
                if b"authorization" in names and b"idempotency-key" not in names and runtime is not None:
                    context = runtime.get(PurchaseContext)
                    refusal = refusal_from_memory(context, int(match.group(1)), now=utcnow())
                    if refusal is not None:
                        answered_for(scope, PURCHASE_ROUTE)
                        metrics.flash_sale_purchase(refusal.code)
                        answer = problem(refusal.status, refusal.code, refusal.message)
                        await answer(scope, receive, send)
                        return
                    await self._buy(scope, receive, send, deal_id=int(match.group(1)))
                    return
        await self.app(scope, receive, send)

    async def _buy(self, scope: Scope, receive: Receive, send: Send, *, deal_id: int) -> None:
        """A keyless purchase the memory could not refuse: bought here if its body is JSON that
        validates, else handed to the route with the body it sent."""
        body = await _read_body(receive)
        parsed = _purchase_in(scope, body)
        if parsed is None:
            await self.app(scope, _replaying(body, receive), send)
            return
        answered_for(scope, PURCHASE_ROUTE)
        request = Request(scope, _replaying(body, receive))
        try:
            answer = await answer_purchase(request, deal_id, parsed, None)
        except KuajingError as refusal:
            answer = await problems.kuajing_error(request, refusal)
        except PoolTimeout as busy:
            answer = await problems.database_busy(request, busy)
        await answer(scope, receive, send)


def _purchase_in(scope: Scope, body: bytes) -> PurchaseIn | None:
    """The body as the route would validate it (JSON decoded, then the model), or None for
    anything the route must answer itself."""
    content_type = next((value for name, value in scope["headers"] if name == b"content-type"), b"")
    if content_type.split(b";", 1)[0].strip().lower() != b"application/json":
        return None
    try:
        return PurchaseIn.model_validate(json.loads(body))
    except (ValueError, ValidationError):  # ValueError: not JSON (or not UTF-8)
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left; the route (or the answer) finds out as it would have
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read once, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
