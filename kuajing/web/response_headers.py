"""What every response carries, pages, API and files alike: a request id (X-Request-ID: the
caller's if it sent a sane one, else a new one), and the browser's protections: a Content Security
Policy that allows no inline script and no framing, nosniff, a Referrer-Policy, and HSTS when the
site is served over HTTPS (KUAJING_COOKIE_SECURE).

The API documentation pages (Swagger UI and ReDoc, their files served by the app) get a policy of
their own: both draw their styles from script, which the site's policy forbids.
"""

import re
import uuid
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
DOC_PATHS = ("/docs", "/redoc")


def _policy(*, images: str = "", docs: bool = False) -> bytes:
    styles = "'self' 'unsafe-inline'" if docs else "'self'"
    parts = [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {styles}",
        f"img-src 'self' data:{' ' + images if images else ''}",
        "font-src 'self' data:" if docs else "font-src 'self'",
        "worker-src 'self' blob:" if docs else "worker-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    return "; ".join(parts).encode()


def media_origin(public_url: str | None) -> str:
    """The origin photos are loaded from when a bucket or CDN serves them ("" for the app)."""
    if not public_url:
        return ""
    parts = urlsplit(public_url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ResponseHeaders:
    def __init__(self, app: ASGIApp, *, hsts: bool = False, media_public_url: str | None = None) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
        ]
        if hsts:
            common.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        images = media_origin(media_public_url)
        self._site = [*common, (b"content-security-policy", _policy(images=images))]
        self._docs = [*common, (b"content-security-policy", _policy(images=images, docs=True))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = dict(scope["headers"]).get(REQUEST_ID, b"")
        request_id = asked if _SANE_ID.fullmatch(asked) else uuid.uuid4().hex.encode()
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        added = self._docs if scope["path"] in DOC_PATHS else self._site

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID, request_id), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
