"""Singles' Day deals in the seller portal: the seller's deals with what each has sold, and
enrolling a product in a campaign that has not ended. The deal's units are set aside from the
product's stock when it is created, through the same service as the API's."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.snapshots import Snapshots
from kuajing.db import savepoint
from kuajing.errors import KuajingError
from kuajing.flash_sale import service as flash_sale_service
from kuajing.flash_sale.schemas import DealIn
from kuajing.kit.money import Money
from kuajing.kit.time import utcnow
from kuajing.runtime import SessionDep
from kuajing.web.access import cents, english, signed_in_seller, whole
from kuajing.web.session import check_csrf

router = APIRouter(prefix="/seller", include_in_schema=False)
Text = Annotated[str, Form(max_length=300)]
DEAL_FIELDS = ("campaign_id", "product_id", "price", "quantity", "per_buyer_limit")


class DealForm:
    def __init__(
        self,
        csrf_token: Text,
        campaign_id: Text = "",
        product_id: Text = "",
        price: Text = "",
        quantity: Text = "",
        per_buyer_limit: Text = "",
    ) -> None:
        self.csrf_token = csrf_token
        self.typed = dict(
            zip(DEAL_FIELDS, (campaign_id, product_id, price, quantity, per_buyer_limit), strict=True)
        )


def _deal_in(typed: dict[str, str]) -> tuple[int | None, DealIn | None, dict[str, str]]:
    """(campaign id, the API's DealIn) from the form, or the fields in error (field -> code)."""
    errors: dict[str, str] = {}
    campaign_id = whole(typed["campaign_id"])
    if not campaign_id:
        errors["campaign_id"] = "campaign_not_found"
    price = cents(typed["price"])
    if not price:
        errors["price"] = "invalid_price"
    numbers = {name: whole(typed[name]) for name in ("quantity", "per_buyer_limit")}
    # "12" names a product without options, "12-15" its variant 15
    product, dash, variant = typed["product_id"].partition("-")
    if dash and not whole(variant):
        errors["product_id"] = "product_not_found"
    try:
        body = DealIn.model_validate(
            {
                "product_id": whole(product) or 0,  # 0 and blanks: the schema refuses them
                "variant_id": whole(variant) if variant else None,
                "price": {"amount": price or 0, "currency": "USD"},
                "quantity": numbers["quantity"] or 0,
                "per_buyer_limit": numbers["per_buyer_limit"] or 0,
            }
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "price"
            errors.setdefault(field, "product_not_found" if field == "product_id" else "invalid_field")
        return None, None, errors
    return (None, None, errors) if errors else (campaign_id, body, errors)


async def _deals_page(
    request: Request,
    session: AsyncSession,
    snapshots: Snapshots,
    seller: Principal,
    *,
    typed: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    products = await catalog_service.seller_listings(
        session, snapshots, seller_id=seller.user_id, limit=100, cursor=None
    )
    # what a deal can sell: each product without options, each variant of one with options
    choices = [
        (
            f"{listing.product.id}-{variant.row.id}"
            if listing.product.has_variants
            else str(listing.product.id),
            listing.product.title_en
            + (f" — {' / '.join(variant.row.option_values)}" if listing.product.has_variants else ""),
            variant.row.stock,
        )
        for listing in products.listings
        for variant in listing.variants
    ]
    context: dict[str, Any] = {
        "deals": await flash_sale_service.seller_deals(session, seller_id=seller.user_id),
        "campaigns": await flash_sale_service.open_campaigns(session, now=utcnow()),
        "products": choices,
        "typed": typed,
        "errors": errors,
        "viewer": seller,
    }
    return english(request, "seller/deals.html", context, status=status)


@router.get("/deals", response_class=HTMLResponse)
async def deals(request: Request, session: SessionDep, snapshots: SnapshotsDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    return await _deals_page(request, session, snapshots, seller, typed={"per_buyer_limit": "1"}, errors={})


@router.post("/deals", response_class=HTMLResponse)
async def enroll(
    request: Request, session: SessionDep, snapshots: SnapshotsDep, form: Annotated[DealForm, Depends()]
) -> Response:
    check_csrf(request, form.csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    campaign_id, body, errors = _deal_in(form.typed)
    if campaign_id is None or body is None:
        return await _deals_page(
            request, session, snapshots, seller, typed=form.typed, errors=errors, status=422
        )
    try:
        async with savepoint(session):
            view = await flash_sale_service.create_deal(
                session,
                snapshots,
                seller_id=seller.user_id,
                campaign_id=campaign_id,
                product_id=body.product_id,
                variant_id=body.variant_id,
                price=Money(body.price.amount, "USD"),
                quantity=body.quantity,
                per_buyer_limit=body.per_buyer_limit,
            )
    except KuajingError as exc:
        field = {
            "campaign_not_found": "campaign_id",
            "campaign_ended": "campaign_id",
            "product_not_found": "product_id",
            "not_your_product": "product_id",
            "variant_required": "product_id",
            "unknown_variant": "product_id",
            "out_of_stock": "quantity",
            "invalid_price": "price",
        }.get(exc.code, "form")
        return await _deals_page(
            request, session, snapshots, seller, typed=form.typed, errors={field: exc.code}, status=exc.status
        )
    return RedirectResponse(f"/seller/deals?enrolled={view.deal.id}", status_code=303)
