"""The losers' fast path: a purchase on a deal this worker already knows it must refuse is
answered before FastAPI routes the request, parses its body or solves its dependencies.

At 00:00 on 11.11 almost every attempt loses: the deal has not started yet, or it sold out in
the first seconds. Through the framework such a refusal cost about three times a /healthz; here
it costs a regex match and a dictionary look-up. It answers only what the endpoint would answer
from the same memory (`flash_sale.purchase.refusal_from_memory`: not_started, ended, sold_out),
and only for requests that carry a bearer token and no Idempotency-Key (a keyed request may be a
replay, which gets its first answer, so it takes the full path). One difference, by design: the body is
not read, so a malformed body to a sold-out deal is told sold_out rather than invalid_input.
"""

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from kuajing.flash_sale.purchase import PurchaseContext, refusal_from_memory
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
        await self.app(scope, receive, send)
