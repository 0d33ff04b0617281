from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from kuajing.auth import service
from kuajing.auth.dependencies import (
    CurrentPrincipal,
    PasswordsDep,
    ThrottleDep,
    TokenCacheDep,
    address_of,
    device_of,
    token_lifetime,
)
from kuajing.auth.errors import InvalidCredentials
from kuajing.auth.schemas import (
    RegisteredOut,
    RegisterIn,
    SessionOut,
    SessionsOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from kuajing.idempotency.http import IdempotencyKeyHeader
from kuajing.idempotency.service import IdempotencyKeyReused, fingerprint, run_once
from kuajing.kit.ids import MAX_ID
from kuajing.models import Role
from kuajing.problems import RATE_LIMITED
from kuajing.runtime import SessionDep, database_of, runtime_of

router = APIRouter(tags=["auth"])


@router.post("/auth/register", status_code=201, response_model=RegisteredOut, responses=RATE_LIMITED)
async def register(
    request: Request,
    body: RegisterIn,
    passwords: PasswordsDep,
    throttle: ThrottleDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    await throttle.sign_up(address=address_of(request))
    # Hash before taking the write transaction: argon2 is the slow part and needs no database.
    password_hash = await service.hash_new_password(passwords, email=body.email, password=body.password)
    async with database_of(request).transaction(write=True) as session:

        async def create() -> dict[str, Any]:
            user = await service.create_user(
                session, email=body.email, password_hash=password_hash, role=Role(body.role), name=body.name
            )
            return {"user": UserOut.model_validate(user, from_attributes=True).model_dump()}

        # The password stays out of the stored fingerprint; a replay must still know it.
        outcome = await run_once(
            session,
            owner="anonymous",
            key=idempotency_key,
            request_hash=fingerprint("POST /auth/register", body.model_dump(exclude={"password"})),
            status_code=201,
            operation=create,
        )
        user = await service.get_user(session, user_id=outcome.body["user"]["id"])
        if outcome.replayed and not await passwords.verify(user.password_hash, body.password):
            raise IdempotencyKeyReused(message="This Idempotency-Key was used with a different request.")
        # Tokens are never stored in the clear, so every answer carries a fresh one.
        token = await service.issue_token(
            session, user=user, lifetime=token_lifetime(request), device=device_of(request, kind="api")
        )
    return JSONResponse({**outcome.body, "token": token}, status_code=outcome.status_code)


@router.post("/auth/token", response_model=TokenOut, responses=RATE_LIMITED)
async def token(request: Request, body: TokenIn, passwords: PasswordsDep, throttle: ThrottleDep) -> TokenOut:
    # Three steps, never two connections at once: read the user, check the password with no
    # transaction open (argon2 is the slow part), then a short write for the token.
    await throttle.sign_in(address=address_of(request), email=body.email)
    database = database_of(request)
    async with database.transaction(write=False) as session:
        user = await service.find_user(session, email=body.email)
    try:
        user = await service.check_password(passwords, user, password=body.password)
    except InvalidCredentials:
        await throttle.wrong_password(email=body.email)
        raise
    rehashed = await service.upgraded_hash(passwords, user, password=body.password)
    async with database.transaction(write=True) as session:
        issued = await service.issue_token(
            session,
            user=user,
            lifetime=token_lifetime(request),
            device=device_of(request, kind="api"),
            new_password_hash=rehashed,
        )
    return TokenOut(token=issued)


@router.delete("/auth/token", status_code=204)
async def revoke_token(principal: CurrentPrincipal, session: SessionDep, cache: TokenCacheDep) -> Response:
    await service.revoke(session, principal=principal, cache=cache)
    return Response(status_code=204)


@router.get("/auth/tokens", response_model=SessionsOut)
async def list_tokens(request: Request, principal: CurrentPrincipal, session: SessionDep) -> SessionsOut:
    """The account's tokens that still sign in (API clients and browser sessions), newest first,
    with what signed in and when each was last used (to the hour) and ends."""
    idle = timedelta(seconds=runtime_of(request).settings.token_idle_seconds)
    tokens = await service.sessions_of(session, user_id=principal.user_id, idle=idle)
    return SessionsOut(
        items=[
            SessionOut(
                id=token.id,
                device=token.device,
                created_at=token.created_at,
                last_used_at=token.last_used_at,
                expires_at=min(token.expires_at, token.last_used_at + idle),
                current=token.token_hash == principal.token_hash,
            )
            for token in tokens
        ]
    )


@router.delete("/auth/tokens/{token_id}", status_code=204)
async def revoke_token_by_id(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    principal: CurrentPrincipal,
    session: SessionDep,
    cache: TokenCacheDep,
) -> Response:
    """Sign one of the account's sessions out (a lost phone, an old script). Other workers stop
    accepting it within KUAJING_AUTH_CACHE_SECONDS."""
    await service.revoke_by_id(session, principal=principal, token_id=token_id, cache=cache)
    return Response(status_code=204)


@router.get("/me", response_model=UserOut)
async def me(principal: CurrentPrincipal, session: SessionDep) -> UserOut:
    user = await service.get_user(session, user_id=principal.user_id)
    return UserOut.model_validate(user, from_attributes=True)
