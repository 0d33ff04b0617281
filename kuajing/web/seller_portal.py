"""The seller portal (English first): the seller's products, and a new product with a preview of
the landed yuan price buyers will see and any compliance problems, before it is listed."""

import json
import re
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.catalog import service as catalog_service
from kuajing.catalog.schemas import ProductIn
from kuajing.catalog.service import Listing
from kuajing.db import SessionDep
from kuajing.errors import KuajingError
from kuajing.kit.money import Money
from kuajing.kit.time import utcnow
from kuajing.models import Product, Role
from kuajing.pricing import service as pricing_service
from kuajing.web.session import check_csrf, login_path, viewer
from kuajing.web.storefront import CATEGORIES
from kuajing.web.templates import render

router = APIRouter(prefix="/seller", include_in_schema=False)
PRICE = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")  # dollars and cents, at most $9,999,999.99
WHOLE = re.compile(r"[0-9]{1,9}")
Text = Annotated[str, Form(max_length=5000)]
FIELDS = (
    "sku", "title_en", "title_zh", "description_en", "description_zh", "category", "hs_code",
    "price", "stock", "weight_grams", "attributes",
)  # fmt: skip


def _english(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    return render(request, name, context, status=status, default_locale="en")


async def _seller(request: Request, session: AsyncSession) -> Principal | Response:
    principal = await viewer(request, session)
    if principal is None:
        return RedirectResponse(login_path(request), status_code=303)
    if principal.role != Role.seller:
        return _english(request, "error.html", {"status": 403, "code": "forbidden"}, status=403)
    return principal


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, session: SessionDep) -> Response:
    seller = await _seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    page = await catalog_service.search(
        session, q=None, category=None, seller_id=seller.user_id, limit=100, cursor=None
    )
    return _english(request, "seller/dashboard.html", {"listings": page.listings, "viewer": seller})


def _whole(text: str, otherwise: int) -> int:
    """A whole number typed in a form, or `otherwise` (which the schema then refuses)."""
    text = text.strip()
    return int(text) if WHOLE.fullmatch(text) else otherwise


def _product_in(typed: dict[str, str]) -> tuple[ProductIn | None, dict[str, str]]:
    """The form as the API's ProductIn, or the fields in error (field -> code)."""
    errors: dict[str, str] = {}
    price = typed["price"].strip().lstrip("$")
    cents = Decimal(0)
    if PRICE.fullmatch(price):  # never Decimal() on free text: "Infinity", "9e999999"
        cents = Decimal(price) * 100
    else:
        errors["price"] = "invalid_price"
    try:
        attributes = json.loads(typed["attributes"]) if typed["attributes"].strip() else {}
        if not isinstance(attributes, dict):
            raise ValueError
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" thousands deep
        errors["attributes"] = "invalid_attributes"
        attributes = {}
    try:
        body = ProductIn.model_validate(
            {
                "sku": typed["sku"].strip(),
                "title": {"en": typed["title_en"], "zh": typed["title_zh"]},
                "description": {"en": typed["description_en"], "zh": typed["description_zh"]},
                "category": typed["category"],
                "hs_code": typed["hs_code"].strip(),
                "price": {"amount": int(cents), "currency": "USD"},
                "stock": _whole(typed["stock"], -1),
                "weight_grams": _whole(typed["weight_grams"], 0),
                "attributes": attributes,
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]] or ["attributes"]  # a model-wide check
            field = "_".join(loc[:2]) if loc[0] in ("title", "description") else loc[0]
            errors.setdefault(field if field in FIELDS else "attributes", "invalid_field")
        return None, errors
    return (None, errors) if errors else (body, errors)


async def _preview(session: AsyncSession, seller_id: int, body: ProductIn) -> Listing:
    """The listing as buyers would see it, from a product that is not saved."""
    product = Product(
        seller_id=seller_id, sku=body.sku, title_en=body.title.en, title_zh=body.title.zh,
        description_en=body.description.en, description_zh=body.description.zh, category=body.category,
        hs_code=body.hs_code, price_amount=body.price.amount, price_currency="USD", stock=body.stock,
        weight_grams=body.weight_grams, attributes=body.attributes, search_text="",
        created_at=utcnow(), updated_at=utcnow(),
    )  # fmt: skip
    prices = await pricing_service.listing_prices(session, [product])
    return Listing.of(product, prices.get(product.id))


@router.get("/products/new", response_class=HTMLResponse)
async def new_product(request: Request, session: SessionDep) -> Response:
    seller = await _seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    context = {
        "typed": {"category": "wine"},
        "errors": {},
        "preview": None,
        "categories": CATEGORIES,
        "viewer": seller,
    }
    return _english(request, "seller/product_form.html", context)


@router.post("/products/new", response_class=HTMLResponse)
async def create_product(
    request: Request,
    session: SessionDep,
    csrf_token: Text,
    sku: Text = "",
    title_en: Text = "",
    title_zh: Text = "",
    description_en: Text = "",
    description_zh: Text = "",
    category: Text = "",
    hs_code: Text = "",
    price: Text = "",
    stock: Text = "",
    weight_grams: Text = "",
    attributes: Text = "",
    action: Text = "create",
) -> Response:
    check_csrf(request, csrf_token)
    seller = await _seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    typed = dict(
        zip(
            FIELDS,
            (
                sku,
                title_en,
                title_zh,
                description_en,
                description_zh,
                category,
                hs_code,
                price,
                stock,
                weight_grams,
                attributes,
            ),
            strict=True,
        )
    )
    body, errors = _product_in(typed)
    context: dict[str, Any] = {
        "typed": typed,
        "errors": errors,
        "preview": None,
        "categories": CATEGORIES,
        "viewer": seller,
    }
    if body is None:
        return _english(request, "seller/product_form.html", context, status=422)
    if action == "preview":
        context["preview"] = await _preview(session, seller.user_id, body)
        return _english(request, "seller/product_form.html", context)
    try:
        async with session.begin_nested():
            product = await catalog_service.create_product(
                session,
                seller_id=seller.user_id,
                sku=body.sku,
                title=body.title.model_dump(),
                description=body.description.model_dump(),
                category=body.category,
                hs_code=body.hs_code,
                price=Money(body.price.amount, "USD"),
                stock=body.stock,
                weight_grams=body.weight_grams,
                attributes=body.attributes,
            )
    except KuajingError as exc:
        context["errors"] = {"form": exc.code}
        return _english(request, "seller/product_form.html", context, status=exc.status)
    return RedirectResponse(f"/seller?created={product.id}", status_code=303)
