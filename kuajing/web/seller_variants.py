"""A product's variants in the seller portal: each variant's price and stock changed in its own
row, and a variant added (a new size or colour) from the product's edit page. The forms are
checked by the same schemas and services as the API's; a refusal redraws the page with why."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from kuajing.auth.tokens import Principal
from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.schemas import VariantIn
from kuajing.catalog.variants import VARIANT_ATTRIBUTES
from kuajing.errors import InvalidInput
from kuajing.kit.ids import IdPath
from kuajing.media.dependencies import StorageDep
from kuajing.runtime import SessionDep
from kuajing.web.access import cents, whole
from kuajing.web.seller_portal import product_change
from kuajing.web.session import check_csrf

router = APIRouter(prefix="/seller", include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]


@router.post("/products/{product_id}/variants/{variant_id}", response_class=HTMLResponse)
async def change_variant(
    request: Request,
    product_id: IdPath,
    variant_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    csrf_token: Short,
    price: Short = "",
    stock: Short = "",
    stock_was: Short = "",
) -> Response:
    """A variant's price and stock; the stock saved as the change from what the page showed, so
    units sold meanwhile stay sold."""
    check_csrf(request, csrf_token)

    async def change(seller: Principal) -> object:
        amount, units, was = cents(price), whole(stock), whole(stock_was)
        if not amount:
            raise InvalidInput("invalid_field", f"“{price}” is not a price in US dollars, such as 30.00.")
        if units is None or was is None:
            raise InvalidInput("invalid_field", f"“{stock}” is not a whole number of units.")
        return await catalog_service.update_variant(
            session,
            snapshots,
            seller_id=seller.user_id,
            product_id=product_id,
            variant_id=variant_id,
            changes={"price": {"amount": amount, "currency": "USD"}, "stock_delta": units - was},
        )

    return await product_change(request, session, snapshots, storage, product_id, change, part="variants")


@router.post("/products/{product_id}/variants", response_class=HTMLResponse)
async def add_variant(
    request: Request,
    product_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    csrf_token: Short,
    values: Annotated[list[str] | None, Form()] = None,
    sku: Short = "",
    price: Short = "",
    stock: Short = "",
    weight_grams: Short = "",
    fit_height_cm: Short = "",
    fit_chest_cm: Short = "",
    fit_waist_cm: Short = "",
) -> Response:
    check_csrf(request, csrf_token)
    typed = {"fit_height_cm": fit_height_cm, "fit_chest_cm": fit_chest_cm, "fit_waist_cm": fit_waist_cm}

    async def add(seller: Principal) -> object:
        measurements: dict[str, Any] = {}
        for name in sorted(VARIANT_ATTRIBUTES):
            if typed[name].strip():
                number = whole(typed[name])
                if not number:
                    raise InvalidInput(
                        "invalid_field", f"“{typed[name]}” is not a measurement in whole centimetres."
                    )
                measurements[name] = number
        try:
            variant = VariantIn.model_validate(
                {
                    "sku": sku.strip(),
                    "options": [value.strip() for value in values or []],
                    "price": {"amount": cents(price) or 0, "currency": "USD"},
                    "stock": whole(stock) if whole(stock) is not None else -1,
                    "weight_grams": whole(weight_grams) or 0,
                    "attributes": measurements,
                }
            )
        except ValidationError as exc:
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            names = {"sku": "the SKU", "options": "the option values", "price": "the price in US dollars"}
            said = ", ".join(names.get(field, field.replace("_", " ")) for field in fields)
            raise InvalidInput("invalid_field", f"Not added: check {said}.") from exc
        return await catalog_service.add_variant(
            session, snapshots, seller_id=seller.user_id, product_id=product_id, variant=variant.as_new()
        )

    return await product_change(request, session, snapshots, storage, product_id, add, part="variants")
