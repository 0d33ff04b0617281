"""A seller's account in the portal: sign up, sign in, and the business profile that every
listing needs (legal name, US state, employees, shipping fee, the customs registration)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from kuajing.auth.tokens import Principal
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.db import savepoint
from kuajing.errors import KuajingError
from kuajing.kit.money import Money
from kuajing.kit.us_states import NAMES
from kuajing.models import Role, SellerProfile
from kuajing.runtime import SessionDep
from kuajing.seller import service as seller_service
from kuajing.seller.errors import SellerProfileRequired
from kuajing.seller.schemas import ProfileIn
from kuajing.web.access import cents, dollars_typed, english, signed_in_seller, whole
from kuajing.web.buying import sign_in, sign_up
from kuajing.web.session import check_csrf, safe_next

router = APIRouter(prefix="/seller", include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
LongText = Annotated[str, Form(max_length=5000)]
STATES = sorted(NAMES, key=lambda code: NAMES[code][1])  # by English name
PROFILE_FIELDS = (
    "legal_name", "us_state", "employees", "shipping_fee", "customs_code", "customs_name",
    "story_en", "story_zh",
)  # fmt: skip


def _portal_next(next: str | None) -> str:
    """Where a seller goes after signing in: a portal page, else the portal."""
    target = safe_next(next)
    return target if target.startswith("/seller") else "/seller"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return english(request, "seller/login.html", {"next": _portal_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, email: Text, password: Text, csrf_token: Text, next: Text = "/seller"
) -> Response:
    check_csrf(request, csrf_token)
    return await sign_in(
        request, email=email, password=password, next=_portal_next(next), template="seller/login.html",
        default_locale="en",
    )  # fmt: skip


@router.get("/register", response_class=HTMLResponse)
async def register_form(request: Request) -> HTMLResponse:
    return english(request, "seller/register.html", {"next": "/seller/profile", "values": {}})


@router.post("/register", response_class=HTMLResponse)
async def register(request: Request, name: Text, email: Text, password: Text, csrf_token: Text) -> Response:
    """A new seller goes straight to the profile: nothing can be listed before it exists."""
    check_csrf(request, csrf_token)
    return await sign_up(
        request, name=name, email=email, password=password, next="/seller/profile", role=Role.seller,
        template="seller/register.html", default_locale="en",
    )  # fmt: skip


class ProfileForm:
    def __init__(
        self,
        csrf_token: Text,
        legal_name: Text = "",
        us_state: Text = "",
        employees: Text = "",
        shipping_fee: Text = "",
        customs_code: Text = "",
        customs_name: Text = "",
        story_en: LongText = "",
        story_zh: LongText = "",
        new: Text = "",
    ) -> None:
        self.csrf_token = csrf_token
        self.new = new == "1"  # the first time: the page says what the profile is for
        self.typed = dict(
            zip(
                PROFILE_FIELDS,
                (
                    legal_name,
                    us_state,
                    employees,
                    shipping_fee,
                    customs_code,
                    customs_name,
                    story_en,
                    story_zh,
                ),
                strict=True,
            )
        )


def _typed_from(profile: SellerProfile) -> dict[str, str]:
    return {
        "legal_name": profile.legal_name,
        "us_state": profile.us_state,
        "employees": str(profile.employees),
        "shipping_fee": dollars_typed(profile.shipping_fee_amount),
        "customs_code": profile.customs_code or "",
        "customs_name": profile.customs_name or "",
        "story_en": profile.story_en,
        "story_zh": profile.story_zh,
    }


def _profile_in(typed: dict[str, str]) -> tuple[ProfileIn | None, dict[str, str]]:
    """The form as the API's ProfileIn, or the fields in error (field -> code)."""
    errors: dict[str, str] = {}
    fee = cents(typed["shipping_fee"])
    if fee is None:
        errors["shipping_fee"] = "invalid_price"
    employees = whole(typed["employees"])
    try:
        body = ProfileIn.model_validate(
            {
                "legal_name": typed["legal_name"],
                "us_state": typed["us_state"],
                "employees": -1 if employees is None else employees,  # the schema refuses it
                "shipping_fee": {"amount": fee or 0, "currency": "USD"},
                "customs_code": typed["customs_code"].strip() or None,
                "customs_name": typed["customs_name"].strip() or None,
                "story": {"en": typed["story_en"], "zh": typed["story_zh"]},
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]] or ["legal_name"]
            field = "_".join(loc[:2]) if loc[0] == "story" else loc[0]
            errors.setdefault(field if field in PROFILE_FIELDS else "legal_name", "invalid_field")
        return None, errors
    return (None, errors) if errors else (body, errors)


def _profile_page(
    request: Request,
    seller: Principal,
    typed: dict[str, str],
    errors: dict[str, str],
    *,
    new: bool,
    status: int = 200,
) -> HTMLResponse:
    context = {"typed": typed, "errors": errors, "new": new, "states": STATES, "viewer": seller}
    return english(request, "seller/profile.html", context, status=status)


@router.get("/profile", response_class=HTMLResponse)
async def profile(request: Request, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    try:
        saved = await seller_service.get_profile(session, seller_id=seller.user_id)
    except SellerProfileRequired:
        return _profile_page(
            request, seller, {"us_state": "CA", "employees": "", "shipping_fee": ""}, {}, new=True
        )
    return _profile_page(request, seller, _typed_from(saved), {}, new=False)


@router.post("/profile", response_class=HTMLResponse)
async def save_profile(
    request: Request, session: SessionDep, snapshots: SnapshotsDep, form: Annotated[ProfileForm, Depends()]
) -> Response:
    check_csrf(request, form.csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    body, errors = _profile_in(form.typed)
    if body is None:
        return _profile_page(request, seller, form.typed, errors, new=form.new, status=422)
    assert body.story is not None  # the form always sends a story (_profile_in)
    try:
        async with savepoint(session):
            await seller_service.save_profile(
                session,
                snapshots.sellers,
                seller_id=seller.user_id,
                legal_name=body.legal_name,
                us_state=body.us_state,
                employees=body.employees,
                shipping_fee=Money(body.shipping_fee.amount, body.shipping_fee.currency),
                customs_code=body.customs_code,
                customs_name=body.customs_name,
                story=body.story.model_dump(),
            )
    except KuajingError as exc:
        field = {
            "invalid_us_state": "us_state",
            "invalid_customs_code": "customs_code",
            "shipping_fee_too_high": "shipping_fee",
        }.get(exc.code)
        errors = {field: exc.code} if field else {"form": exc.code}
        return _profile_page(request, seller, form.typed, errors, new=form.new, status=exc.status)
    return RedirectResponse("/seller/profile?saved=1", status_code=303)
