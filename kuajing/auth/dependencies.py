"""Who is calling, and may they? Annotated dependencies for routes."""

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import service
from kuajing.auth.passwords import Passwords
from kuajing.auth.throttle import Throttle
from kuajing.auth.tokens import Principal, TokenCache
from kuajing.errors import Forbidden, NotAuthenticated
from kuajing.models import Role
from kuajing.runtime import SessionDep, part, runtime_of

_bearer = HTTPBearer(auto_error=False, description="A token from /api/v1/auth/token or registration.")


async def _principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise NotAuthenticated(message="Send Authorization: Bearer <token>.")
    if len(credentials.credentials) > 200:
        raise NotAuthenticated("invalid_token", "The bearer token is unknown or revoked.")
    runtime = runtime_of(request)
    return await service.authenticate(
        session,
        token=credentials.credentials,
        cache=runtime.get(TokenCache),
        loader=runtime.get(service.TokenLoader),
        toucher=runtime.get(service.TokenToucher),
    )


def _role(*roles: Role):  # type: ignore[no-untyped-def]
    allowed = {r.value for r in roles}

    async def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(message=f"This needs the {' or '.join(sorted(allowed))} role.")
        return principal

    return check


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
BuyerPrincipal = Annotated[Principal, Depends(_role(Role.buyer))]
SellerPrincipal = Annotated[Principal, Depends(_role(Role.seller))]
OperatorPrincipal = Annotated[Principal, Depends(_role(Role.operator))]


async def optional_principal(request: Request, session: AsyncSession) -> Principal | None:
    """The caller if the request carries a bearer token, None if it carries none."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip())
    return await _principal(request, session, credentials)


async def principal_with_role(request: Request, session: AsyncSession, role: Role) -> Principal:
    """The caller, who must have `role`: for routes that open their own sessions at the edge."""
    principal = await optional_principal(request, session)
    if principal is None:
        raise NotAuthenticated(message="Send Authorization: Bearer <token>.")
    if principal.role != role:
        raise Forbidden(message=f"This needs the {role.value} role.")
    return principal


TokenCacheDep = Annotated[TokenCache, Depends(part(TokenCache))]
PasswordsDep = Annotated[Passwords, Depends(part(Passwords))]
ThrottleDep = Annotated[Throttle, Depends(part(Throttle))]


def address_of(request: Request) -> str:
    """The caller's address as the server saw it (behind a proxy, run uvicorn --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def token_lifetime(request: Request) -> timedelta:
    """How long a token issued now may sign in at most (KUAJING_TOKEN_ABSOLUTE_SECONDS)."""
    return timedelta(seconds=runtime_of(request).settings.token_absolute_seconds)


def device_of(request: Request, *, kind: str) -> str:
    """What signs in, as the account's sessions list names it: "api" or "web", and the client's
    User-Agent."""
    agent = request.headers.get("user-agent", "")
    return f"{kind}: {agent}" if agent else kind
