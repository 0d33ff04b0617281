"""Every request observed once: its id bound to the log lines written while it is served, its
count and time in the metrics, one access line when it is answered.

It sits inside ResponseHeaders (whose request id it reads) and outside everything else, the
losers' fast path included, so a refusal answered before routing is counted too. A request is
named by the template of the route that served it, never by its path: paths carry ids, and
queries carry what buyers typed. What the router never reached is "unmatched", unless the
middleware that answered said which route it stood in for (`answered_for`).
"""

import logging
import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kuajing.observability import metrics
from kuajing.observability.logs import REQUEST_ID

log = logging.getLogger("kuajing.access")

UNMATCHED = "unmatched"
_ANSWERED_FOR = "kuajing.answered_for"


def answered_for(scope: Scope, template: str) -> None:
    """Mark a request answered by a middleware before routing as one for route `template`."""
    scope[_ANSWERED_FOR] = template


def route_template(scope: Scope) -> str:
    """The template of the route that served the request, with the prefixes of the routers it
    was included through; a mount's as its prefix and {path}."""
    # FastAPI (0.16x) keeps included routers nested: the route's own path lacks their prefixes,
    # and the route as included, prefixes and all, is kept in its part of the scope
    included = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(included, "path_format", None)
    if isinstance(path, str) and path:
        return path
    route = scope.get("route")
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    mounted = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    if "endpoint" in scope and mounted:  # a mounted app (static files): the mount gave its path
        return f"{mounted}/{{path}}"
    return str(scope.get(_ANSWERED_FOR, UNMATCHED))


class RequestObserver:
    def __init__(self, app: ASGIApp, *, metrics: bool, access_log: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Not reset afterwards: uvicorn serves each request in a task of its own, and its line
        # about an exception that escaped the app comes after this returns, in the same task.
        REQUEST_ID.set(scope.get("state", {}).get("request_id"))
        start = time.perf_counter()
        status = 500  # unless an answer starts: an exception escaped before one did

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            seconds = time.perf_counter() - start
            route = route_template(scope)
            if self.metrics:
                metrics.observe_request(scope["method"], route, status, seconds)
            if self.access_log and log.isEnabledFor(logging.INFO):
                _access_line(scope["method"], route, status, seconds)


def _access_line(method: str, route: str, status: int, seconds: float) -> None:
    # The record is made here rather than by log.info(), which looks for its caller by walking
    # the stack: under a dozen middleware frames that walk was a third of the line's cost.
    extra = {"method": method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 3)}
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "request", (), None, extra=extra))
