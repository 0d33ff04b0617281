"""Who is browsing, and is this form theirs?

Signing in puts an API token in an HttpOnly, SameSite=Lax cookie. The token is the same opaque,
revocable kind the API hands out, stored only as a hash. Signing out revokes it. Every form
carries a CSRF token that must match the one in the browser's own CSRF cookie (double submit):
another site can make the browser send the cookie, but it cannot read it to put in the form.
The token is also bound to the session: a nonce and an HMAC (KUAJING_SECRET_KEY) of the nonce
and the session cookie, so a token planted in the cookie by a neighbouring subdomain, or one
from before signing in, is refused; signing in and out issue a new one.
"""

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from kuajing.auth import service as auth_service
from kuajing.auth.tokens import Principal, TokenCache
from kuajing.errors import KuajingError, NotAuthenticated
from kuajing.runtime import database_of, runtime_of

SESSION_COOKIE = "kj_session"
CSRF_COOKIE = "kj_csrf"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 30 * 86400


class CsrfRejected(KuajingError):
    status = 403
    code = "csrf_rejected"


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    """Every page cookie the same way: HttpOnly (no script reads it), SameSite=Lax (another
    site's form posts go without it), the whole site, and Secure when KUAJING_COOKIE_SECURE is."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        path="/",
        secure=runtime_of(request).settings.cookie_secure,
    )


def _bound(request: Request, session_token: str, nonce: str) -> str:
    secret = runtime_of(request).settings.secret_key.encode()
    mac = hmac.new(secret, f"csrf|{session_token}|{nonce}".encode(), hashlib.sha256).digest()
    return f"{nonce}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def _new_csrf(request: Request, session_token: str) -> str:
    return _bound(request, session_token, secrets.token_urlsafe(24))


def _bound_to_session(request: Request, token: str) -> bool:
    nonce, dot, _ = token.partition(".")
    if not nonce or not dot or len(token) > CSRF_MAX:
        return False
    session_token = request.cookies.get(SESSION_COOKIE, "")
    return hmac.compare_digest(_bound(request, session_token, nonce).encode(), token.encode())


CSRF_MAX = 120


def csrf_token(request: Request) -> str:
    """The browser's CSRF token if it is bound to its session, or a new one that render() then
    sets as its cookie."""
    token = request.cookies.get(CSRF_COOKIE)
    if token and _bound_to_session(request, token):
        return token
    if not hasattr(request.state, "new_csrf"):
        request.state.new_csrf = _new_csrf(request, request.cookies.get(SESSION_COOKIE, ""))
    new_csrf: str = request.state.new_csrf  # Starlette types request.state as Any
    return new_csrf


def renew_csrf(request: Request, response: Response, session_token: str) -> None:
    """A CSRF token for the session starting (signing in) or ending (""), as the response's cookie."""
    set_cookie(request, response, CSRF_COOKIE, _new_csrf(request, session_token), max_age=SESSION_SECONDS)


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if (
        not cookie
        or not submitted
        or not hmac.compare_digest(cookie.encode(), submitted.encode())
        or not _bound_to_session(request, submitted)
    ):
        raise CsrfRejected(
            message="The form expired or did not come from this site; reload the page and try again."
        )


async def viewer(request: Request, session: AsyncSession) -> Principal | None:
    """The signed-in user, or None (no cookie, or a token that was revoked)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    runtime = runtime_of(request)
    try:
        return await auth_service.authenticate(
            session,
            token=token,
            cache=runtime.get(TokenCache),
            loader=runtime.get(auth_service.TokenLoader),
            toucher=runtime.get(auth_service.TokenToucher),
        )
    except NotAuthenticated:
        return None


async def viewer_of(request: Request) -> Principal | None:
    """viewer() for a page that holds no session (an error page, the live screen): one read of
    its own, and none without a session cookie; every header says who is signed in."""
    if not request.cookies.get(SESSION_COOKIE):
        return None
    async with database_of(request).transaction(write=False) as session:
        return await viewer(request, session)


def login_path(request: Request, then: str | None = None, *, door: str = "/login") -> str:
    """The sign-in page `door` (the sellers' is /seller/login), coming back afterwards to
    `then` (a page), or else to this page."""
    here = then or request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"{door}?next={quote(here, safe='')}"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
