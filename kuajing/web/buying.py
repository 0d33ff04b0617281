"""The buying path in pages: sign in or register, the cart (split by seller), checkout with the
real-name identity and the risk notice, paying (Alipay, WeChat Pay or the sandbox) and waiting
for the provider, and the buyer's orders. Forms post
to the server and work without JavaScript; every form carries a CSRF token; a refused form is
shown again with what was typed and the reason, in the page's language."""

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth import service as auth_service
from kuajing.auth.dependencies import TokenCacheDep, address_of, device_of, token_lifetime
from kuajing.auth.passwords import Passwords
from kuajing.auth.schemas import RegisterIn
from kuajing.auth.throttle import Throttle
from kuajing.auth.tokens import Principal
from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.snapshots import Snapshots
from kuajing.checkout import service as checkout_service
from kuajing.compliance import risk_notice
from kuajing.compliance import service as compliance_service
from kuajing.compliance.schemas import IdentityIn
from kuajing.db import savepoint
from kuajing.errors import KuajingError, RateLimited
from kuajing.flash_sale import reservations
from kuajing.fulfillment import payments
from kuajing.fulfillment import service as fulfillment_service
from kuajing.fulfillment.dependencies import FulfillmentDep
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.ids import IdPath
from kuajing.kit.time import BEIJING, beijing_date, utcnow
from kuajing.media.storage import Storage
from kuajing.models import Role
from kuajing.order import service as order_service
from kuajing.order.schemas import ShippingAddress
from kuajing.order.status import OrderStatus
from kuajing.runtime import SessionDep, SettingsDep, database_of, runtime_of
from kuajing.web import cart as cart_cookie
from kuajing.web.session import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    check_csrf,
    login_path,
    renew_csrf,
    safe_next,
    set_cookie,
    viewer,
)
from kuajing.web.templates import render

router = APIRouter(include_in_schema=False)

ADDRESS_FIELDS = order_service.ADDRESS_PARTS
Text = Annotated[str, Form(max_length=300)]
OptionalText = Annotated[str | None, Form(max_length=300)]


def with_retry_after(page: Response, refusal: KuajingError | None) -> Response:
    """A page refusing a rate-limited attempt says, as the API does, when to try again."""
    if isinstance(refusal, RateLimited):
        page.headers["Retry-After"] = str(refusal.retry_after)
    return page


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _signed_in(request: Request, response: Response, token: str) -> Response:
    set_cookie(request, response, SESSION_COOKIE, token, max_age=SESSION_SECONDS)
    renew_csrf(request, response, token)  # the signed-out page's token is no good past this point
    return response


# -- signing in and out ------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "buying/login.html", {"next": safe_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, email: Text, password: Text, csrf_token: Text, next: Text = "/"
) -> Response:
    check_csrf(request, csrf_token)
    return await sign_in(request, email=email, password=password, next=next, template="buying/login.html")


async def sign_in(
    request: Request, *, email: str, password: str, next: str, template: str, default_locale: str = "zh_CN"
) -> Response:
    """Signs in and goes on to `next`, or shows `template` again with the reason. No
    transaction is open while argon2 runs (about 0.2 s): on SQLite a write transaction would
    hold every other writer of the worker, flash-sale batches included, for that long."""
    database = database_of(request)
    throttle = runtime_of(request).get(Throttle)

    def again(exc: KuajingError) -> Response:
        context = {"next": safe_next(next), "email": email, "error": exc.code}
        return with_retry_after(
            render(request, template, context, status=exc.status, default_locale=default_locale), exc
        )

    try:
        await throttle.sign_in(address=address_of(request), email=email)
    except RateLimited as exc:
        return again(exc)
    user = None
    if email.isprintable() and len(email) <= 254:
        async with database.transaction(write=False) as session:
            user = await auth_service.find_user(session, email=email)
    passwords = runtime_of(request).get(Passwords)
    try:
        user = await auth_service.check_password(passwords, user, password=password)
    except KuajingError as exc:
        await throttle.wrong_password(email=email)
        return again(exc)
    rehashed = await auth_service.upgraded_hash(passwords, user, password=password)
    async with database.transaction(write=True) as session:
        token = await auth_service.issue_token(
            session,
            user=user,
            lifetime=token_lifetime(request),
            device=device_of(request, kind="web"),
            new_password_hash=rehashed,
        )
    return _signed_in(request, _see_other(safe_next(next)), token)


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "buying/register.html", {"next": safe_next(next), "values": {}})


@router.post("/register", response_class=HTMLResponse)
async def register(
    request: Request,
    name: Text,
    email: Text,
    password: Text,
    csrf_token: Text,
    next: Text = "/",
) -> Response:
    check_csrf(request, csrf_token)
    return await sign_up(
        request, name=name, email=email, password=password, next=next, role=Role.buyer,
        template="buying/register.html",
    )  # fmt: skip


async def sign_up(
    request: Request,
    *,
    name: str,
    email: str,
    password: str,
    next: str,
    role: Role,
    template: str,
    default_locale: str = "zh_CN",
) -> Response:
    """Creates the account, signs it in and goes on to `next`, or shows `template` again with
    what was typed (never the password) and the reason."""
    values = {"name": name, "email": email}

    def again(error: str, status: int, refusal: KuajingError | None = None) -> Response:
        context = {"next": safe_next(next), "values": values, "error": error}
        page = render(request, template, context, status=status, default_locale=default_locale)
        return with_retry_after(page, refusal)

    try:
        await runtime_of(request).get(Throttle).sign_up(address=address_of(request))
    except RateLimited as exc:
        return again(exc.code, exc.status, exc)
    try:
        RegisterIn.model_validate({"email": email, "password": password, "role": role.value, "name": name})
    except ValidationError as exc:
        loc = exc.errors()[0]["loc"]
        return again(f"invalid_{loc[0] if loc else 'name'}", 422)
    try:
        # hashed before the write transaction, as the API does: argon2 needs no database
        password_hash = await auth_service.hash_new_password(
            runtime_of(request).get(Passwords), email=email, password=password
        )
        async with database_of(request).transaction(write=True) as session:
            user = await auth_service.create_user(
                session, email=email, password_hash=password_hash, role=role, name=name
            )
            token = await auth_service.issue_token(
                session, user=user, lifetime=token_lifetime(request), device=device_of(request, kind="web")
            )
    except KuajingError as exc:
        return again(exc.code, exc.status)
    return _signed_in(request, _see_other(safe_next(next)), token)


@router.post("/logout")
async def logout(request: Request, session: SessionDep, cache: TokenCacheDep, csrf_token: Text) -> Response:
    check_csrf(request, csrf_token)
    principal = await viewer(request, session)
    if principal is not None:
        await auth_service.revoke(session, principal=principal, cache=cache)
    response = _see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    renew_csrf(request, response, "")
    return response


# -- the cart ----------------------------------------------------------------------------------


async def _cart_groups(
    session: AsyncSession, snapshots: Snapshots, lines: dict[int, int], buyer_id: int | None
) -> list[dict[str, Any]]:
    """The cart's lines by seller, each group priced as the order it would become."""
    by_seller: dict[int, list[Any]] = {}
    found = await snapshots.products.facts(session, lines)
    for product_id, quantity in lines.items():
        if product_id not in found or found[product_id].variant_ids:
            continue  # removed since it was added, or a product whose variant was not chosen
        by_seller.setdefault(found[product_id].seller_id, []).append((found[product_id], quantity))
    groups = []
    for seller_id, items in sorted(by_seller.items()):
        try:
            quote = await checkout_service.quote(
                session, snapshots, lines=[(product.id, q) for product, q in items], buyer_id=buyer_id
            )
        except KuajingError:
            quote = None
        seller = (await snapshots.sellers.facts(session, [seller_id])).get(seller_id)
        groups.append({"seller_id": seller_id, "seller": seller, "items": items, "quote": quote})
    return groups


@router.get("/cart", response_class=HTMLResponse)
async def cart(request: Request, session: SessionDep, snapshots: SnapshotsDep) -> HTMLResponse:
    principal = await viewer(request, session)
    groups = await _cart_groups(session, snapshots, cart_cookie.read(request), None)
    return render(request, "buying/cart.html", {"groups": groups, "viewer": principal})


@router.post("/cart")
async def add_to_cart(
    request: Request,
    csrf_token: Text,
    product_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    quantity: Annotated[int, Form(ge=0, le=99)] = 1,
) -> Response:
    check_csrf(request, csrf_token)
    lines = cart_cookie.read(request)
    if quantity == 0:
        lines.pop(product_id, None)
    else:
        lines[product_id] = quantity
    return cart_cookie.write(request, _see_other("/cart"), lines)


# -- checkout ----------------------------------------------------------------------------------


def _typed_address(*values: str | None) -> dict[str, str]:
    """The address fields as typed, in ADDRESS_FIELDS order, keyed as the form names them."""
    return {f"address_{field}": value or "" for field, value in zip(ADDRESS_FIELDS, values, strict=True)}


def _address(typed: dict[str, str]) -> tuple[dict[str, str] | None, dict[str, str]]:
    """The typed address checked like the API's ShippingAddress: (the address, no errors), or
    (None, form field -> problem code)."""
    try:
        fields = {field: typed[f"address_{field}"] for field in ADDRESS_FIELDS}
        return ShippingAddress.model_validate(fields).model_dump(), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "street"
            errors.setdefault(f"address_{field}", _address_problem(field, error["type"], typed))
        return None, errors


def _address_problem(field: str, kind: str, typed: dict[str, str]) -> str:
    """What is wrong with an address field, as a code the page words (messages.html)."""
    if not typed.get(f"address_{field}", "").strip():
        return "field_required"
    if field == "phone":
        return "invalid_phone"
    if kind == "string_too_long":
        return "field_too_long"
    return "address_too_long"  # the parts together: CEB311 carries them in 200 characters


async def _checkout_page(
    request: Request,
    session: AsyncSession,
    snapshots: Snapshots,
    principal: Principal,
    seller_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lines = cart_cookie.read(request)
    groups = [
        g
        for g in await _cart_groups(session, snapshots, lines, principal.user_id)
        if g["seller_id"] == seller_id
    ]
    if not groups:
        return _see_other("/cart")
    identity = await compliance_service.get_identity(session, user_id=principal.user_id)
    offered = None
    if values is None:  # a returning buyer's last address, filled in for them to change or keep
        offered = await order_service.last_address(session, buyer_id=principal.user_id)
        values = {f"address_{part}": value for part, value in (offered or {}).items()}
    context = {
        "group": groups[0],
        "viewer": principal,
        "identity": identity,
        "notice": risk_notice.in_force(beijing_date(utcnow())),
        "values": values,
        "errors": errors or {},
        "offered": offered is not None,
    }
    return render(request, "buying/checkout.html", context, status=status)


@router.get("/checkout", response_class=HTMLResponse)
async def checkout_form(
    request: Request, session: SessionDep, snapshots: SnapshotsDep, seller: int
) -> Response:
    principal = await viewer(request, session)
    if principal is None or principal.role != Role.buyer:
        return _see_other(login_path(request))
    return await _checkout_page(request, session, snapshots, principal, seller)


@router.post("/checkout", response_class=HTMLResponse)
async def checkout(
    request: Request,
    session: SessionDep,
    snapshots: SnapshotsDep,
    settings: SettingsDep,
    csrf_token: Text,
    seller: Annotated[int, Form(ge=1, le=2**31 - 1)],
    address_name: Text = "",
    address_phone: Text = "",
    address_province: Text = "",
    address_city: Text = "",
    address_district: Text = "",
    address_street: Text = "",
    identity_name: OptionalText = None,
    identity_id_number: OptionalText = None,
    risk_notice_accepted: OptionalText = None,
) -> Response:
    check_csrf(request, csrf_token)
    principal = await viewer(request, session)
    if principal is None or principal.role != Role.buyer:
        return _see_other(login_path(request, f"/checkout?seller={seller}"))
    typed = {
        **_typed_address(
            address_name, address_phone, address_province, address_city, address_district, address_street
        ),
        "identity_name": identity_name or "",
        "identity_id_number": identity_id_number or "",
        "risk_notice_accepted": "yes" if risk_notice_accepted else "",  # kept ticked on a refusal
    }
    address, errors = _address(typed)
    if identity_name is not None or identity_id_number is not None:
        try:
            IdentityIn.model_validate({"name": identity_name or "", "id_number": identity_id_number or ""})
        except ValidationError as exc:
            for error in exc.errors():
                field = error["loc"][0] if error["loc"] else "name"
                if not typed[f"identity_{field}"].strip():
                    errors[f"identity_{field}"] = "field_required"
                else:
                    errors[f"identity_{field}"] = (
                        "invalid_id_number" if field == "id_number" else "invalid_name"
                    )
    if not risk_notice_accepted:
        errors["risk_notice_accepted"] = "risk_notice_required"
    if errors:
        return await _checkout_page(
            request, session, snapshots, principal, seller, values=typed, errors=errors, status=422
        )
    assert address is not None  # _address gives None only with errors, answered above

    lines = cart_cookie.read(request)
    try:
        async with savepoint(session):  # a refusal leaves nothing half-written
            if identity_name is not None or identity_id_number is not None:
                # as the API's PUT /buyer/identity: no trying ID numbers one after another
                await runtime_of(request).get(Throttle).identity(user_id=principal.user_id)
                await compliance_service.set_identity(
                    session,
                    user_id=principal.user_id,
                    name=identity_name or "",
                    id_number=identity_id_number or "",
                )
            group = [
                g
                for g in await _cart_groups(session, snapshots, lines, principal.user_id)
                if g["seller_id"] == seller
            ]
            if not group:
                return _see_other("/cart")
            order = await checkout_service.place_order(
                session,
                snapshots,
                buyer_id=principal.user_id,
                lines=[(product.id, quantity) for product, quantity in group[0]["items"]],
                shipping_address=address,
                risk_notice_accepted=True,
                ttl_seconds=settings.order_ttl_seconds,
            )
    except KuajingError as exc:
        identity_codes = ("invalid_id_number", "identity_locked", "id_number_in_use", "rate_limited")
        field = "identity_id_number" if exc.code in identity_codes else "order"
        return await _checkout_page(
            request,
            session,
            snapshots,
            principal,
            seller,
            values=typed,
            errors={field: exc.code},
            status=exc.status,
        )
    for product, _quantity in group[0]["items"]:
        lines.pop(product.id, None)
    return cart_cookie.write(request, _see_other(f"/orders/{order.id}"), lines)


# -- orders ------------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
async def orders(request: Request, session: SessionDep) -> Response:
    principal = await viewer(request, session)
    if principal is None:
        return _see_other(login_path(request))
    found, _next = await order_service.list_orders(
        session,
        viewer=order_service.Viewer(principal.user_id, principal.role),
        status=None,
        cursor=None,
        limit=50,
    )
    runtime = runtime_of(request)
    snapshots = runtime.get(Snapshots)
    # each order's first line's photo (a variant's is its product's), and who sells it
    firsts = {
        order.id: order.lines[0].variant_of or order.lines[0].product_id for order in found if order.lines
    }
    photos = await catalog_service.storefront_photos(
        session, runtime.get(Storage), snapshots, sorted(set(firsts.values()))
    )
    sellers = await snapshots.sellers.facts(session, {order.seller_id for order in found})
    context = {"orders": found, "firsts": firsts, "photos": photos, "sellers": sellers, "viewer": principal}
    return render(request, "buying/orders.html", context)


async def _order_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    order_id: int,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    order = await order_service.get_order(
        session, order_id=order_id, viewer=order_service.Viewer(principal.user_id, principal.role)
    )
    events = await order_service.order_events(session, order_id=order_id)
    runtime = runtime_of(request)
    snapshots = runtime.get(Snapshots)
    # each line's main photo (a variant's is its product's), and who sells it
    products = sorted({line.variant_of or line.product_id for line in order.lines})
    photos = await catalog_service.storefront_photos(session, runtime.get(Storage), snapshots, products)
    seller = (await snapshots.sellers.facts(session, [order.seller_id])).get(order.seller_id)
    # an unpaid Singles' Day order counts down to the moment its units go back to the sale
    deal_unpaid = order.status == OrderStatus.pending_payment and await reservations.holds_units(
        session, order_id=order.id
    )
    context = {
        "order": order,
        "deadline": order.expires_at if deal_unpaid else None,
        "now": utcnow(),
        "photos": photos,
        "seller": seller,
        "events": events,
        "payments": await payments.payments_of(
            session, order_id=order_id, viewer=order_service.Viewer(principal.user_id, principal.role)
        ),
        "providers": runtime_of(request).get(FulfillmentContext).providers.names,
        "viewer": principal,
        "error": error,
        "values": values or {},
        "errors": errors or {},
        "beijing": BEIJING,
    }
    status = 200 if error is None and not errors else 409 if error else 422
    return render(request, "buying/order.html", context, status=status)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_page(request: Request, order_id: IdPath, session: SessionDep) -> Response:
    principal = await viewer(request, session)
    if principal is None:
        return _see_other(login_path(request))
    try:
        return await _order_page(request, session, principal, order_id)
    except KuajingError:
        return render(
            request, "error.html", {"status": 404, "code": "not_found", "viewer": principal}, status=404
        )


@router.post("/orders/{order_id}/pay", response_class=HTMLResponse)
async def pay(
    request: Request,
    order_id: IdPath,
    session: SessionDep,
    context: FulfillmentDep,
    csrf_token: Text,
    provider: Annotated[str, Form(max_length=16)] = "sandbox",
    address_name: OptionalText = None,
    address_phone: OptionalText = None,
    address_province: OptionalText = None,
    address_city: OptionalText = None,
    address_district: OptionalText = None,
    address_street: OptionalText = None,
) -> Response:
    """Pay with the chosen provider: the sandbox pays at once; Alipay sends the buyer to its
    cashier; WeChat Pay shows its code on the waiting page. An order without an address (a
    Singles' Day reservation) gets one here, checked like checkout's; a refusal is shown on the
    order page with what was typed."""
    check_csrf(request, csrf_token)
    principal = await viewer(request, session)
    if principal is None:
        return _see_other(login_path(request, f"/orders/{order_id}"))
    typed = _typed_address(
        address_name, address_phone, address_province, address_city, address_district, address_street
    )
    address = None
    if address_name is not None:
        address, errors = _address(typed)
        if errors:
            return await _order_or_404(request, session, principal, order_id, values=typed, errors=errors)
    if provider != "sandbox":
        try:
            async with savepoint(session):
                payment = await payments.start_payment(
                    session,
                    context,
                    order_id=order_id,
                    buyer_id=principal.user_id,
                    provider=provider,
                    shipping_address=address,
                )
        except KuajingError as exc:
            return await _order_or_404(request, session, principal, order_id, error=exc.code, values=typed)
        if payment.redirect_url:
            return _see_other(payment.redirect_url)
        return _see_other(f"/orders/{order_id}/payments/{payment.id}")
    try:
        async with savepoint(session):
            outcome = await fulfillment_service.pay_order(
                session,
                context,
                order_id=order_id,
                buyer_id=principal.user_id,
                method="sandbox",
                shipping_address=address,
            )
    except KuajingError as exc:
        return await _order_or_404(request, session, principal, order_id, error=exc.code, values=typed)
    if outcome.refusal is not None:  # recorded on the order (committed), and shown
        return await _order_or_404(request, session, principal, order_id, error=outcome.refusal.code)
    return _see_other(f"/orders/{order_id}")


@router.get("/orders/{order_id}/payments/{payment_id}", response_class=HTMLResponse)
async def waiting_for_payment(
    request: Request, order_id: IdPath, payment_id: IdPath, session: SessionDep
) -> Response:
    """Waits for the provider: WeChat Pay's code to scan, or the way back to Alipay's cashier. The
    page reloads itself every few seconds (no script needed) and turns into the paid order once
    the notification has come; "I have paid" asks the provider at once. Closing it loses
    nothing: the notification, or the server's own query, still settles the payment, and an
    order left unpaid expires with its payment closed."""
    principal = await viewer(request, session)
    if principal is None:
        return _see_other(login_path(request, f"/orders/{order_id}/payments/{payment_id}"))
    try:
        payment = await payments.payment_of(
            session, payment_id=payment_id, viewer=order_service.Viewer(principal.user_id, principal.role)
        )
        order = await order_service.get_order(
            session, order_id=order_id, viewer=order_service.Viewer(principal.user_id, principal.role)
        )
    except KuajingError:
        return render(
            request, "error.html", {"status": 404, "code": "not_found", "viewer": principal}, status=404
        )
    if payment.order_id != order.id:
        return render(
            request, "error.html", {"status": 404, "code": "not_found", "viewer": principal}, status=404
        )
    if payment.status == "captured":
        return _see_other(f"/orders/{order_id}")
    qr = segno.make(payment.code_url, error="m").svg_inline(scale=5, border=2) if payment.code_url else None
    return render(
        request,
        "buying/payment.html",
        {"order": order, "payment": payment, "qr_svg": qr, "beijing": BEIJING, "viewer": principal},
    )


@router.post("/orders/{order_id}/payments/{payment_id}/check", response_class=HTMLResponse)
async def check_payment(
    request: Request,
    order_id: IdPath,
    payment_id: IdPath,
    session: SessionDep,
    context: FulfillmentDep,
    csrf_token: Text,
) -> Response:
    """ "I have paid": ask the provider now instead of waiting for its notification."""
    check_csrf(request, csrf_token)
    principal = await viewer(request, session)
    if principal is None:
        return _see_other(login_path(request, f"/orders/{order_id}/payments/{payment_id}"))
    if principal.role == Role.seller:  # as the API: the buyer or an operator asks about a payment
        return render(
            request, "error.html", {"status": 403, "code": "forbidden", "viewer": principal}, status=403
        )
    try:
        async with savepoint(session):
            payment = await payments.payment_of(
                session, payment_id=payment_id, viewer=order_service.Viewer(principal.user_id, principal.role)
            )
            await payments.settle_with_provider(session, context, payment=payment, actor_id=principal.user_id)
    except KuajingError:
        # unreachable or refused: the page says the payment is still waiting, and keeps asking
        pass
    return _see_other(f"/orders/{order_id}/payments/{payment_id}")


async def _order_or_404(
    request: Request, session: AsyncSession, principal: Principal, order_id: int, **page: Any
) -> Response:
    try:
        return await _order_page(request, session, principal, order_id, **page)
    except KuajingError:
        return render(
            request, "error.html", {"status": 404, "code": "not_found", "viewer": principal}, status=404
        )
