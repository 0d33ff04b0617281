"""The seller portal's products (English first): the list, a new product and editing one, each
with a preview of the landed yuan price buyers will see and any compliance problems, before
anything is saved. The preview updates as the seller types where scripts run, and with a button
where they do not."""

import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.catalog import service as catalog_service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.errors import ProductNotFound
from kuajing.catalog.listing_prices import listing_prices
from kuajing.catalog.schemas import SingleProductIn
from kuajing.catalog.service import Listing
from kuajing.catalog.snapshots import Snapshots
from kuajing.catalog.translation import Engine
from kuajing.compliance.category_rules import ZH_LABEL_FIELDS
from kuajing.db import savepoint
from kuajing.errors import KuajingError
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.money import Money
from kuajing.kit.time import utcnow
from kuajing.media.dependencies import StorageDep
from kuajing.media.images import MAX_BYTES
from kuajing.media.service import MAX_IMAGES, Shown
from kuajing.media.storage import Storage
from kuajing.models import Product
from kuajing.runtime import SessionDep, database_of, runtime_of
from kuajing.web.access import cents, dollars_typed, english, signed_in_seller, whole
from kuajing.web.session import check_csrf
from kuajing.web.storefront import CATEGORIES

router = APIRouter(prefix="/seller", include_in_schema=False)
# Generous: the schema refuses what is too long, beside the field; this only bounds the request.
Text = Annotated[str, Form(max_length=20_000)]
PAGE_SIZE = 50
FIELDS = (
    "sku", "title_en", "title_zh", "description_en", "description_zh", "category", "hs_code",
    "price", "stock", "weight_grams", "attributes",
)  # fmt: skip
# The wine's numbers and its Chinese label, one field per label item (kept in attributes as
# abv, volume_ml and zh_label.<item>); the attributes box holds the rest.
LABEL_FIELDS = tuple(f"label_{item}" for item in ZH_LABEL_FIELDS)
WINE_FIELDS = ("wine_abv", "wine_volume_ml", *LABEL_FIELDS)
# What a product with variants leaves to each variant.
VARIANT_FIELDS = ("price", "weight_grams", "stock_delta")


class ProductForm:
    """The product form's fields as typed, read from the request body (every field optional,
    so a field left out is refused by the schema, not by a bare 422)."""

    def __init__(
        self,
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
        wine_abv: Text = "",
        wine_volume_ml: Text = "",
        label_name: Text = "",
        label_type: Text = "",
        label_abv: Text = "",
        label_volume: Text = "",
        label_origin: Text = "",
        label_importer: Text = "",
        label_bottling_date: Text = "",
        stock_was: Text = "",
        action: Text = "save",
    ) -> None:
        self.csrf_token = csrf_token
        self.action = action
        self.stock_was = stock_was
        self.typed = dict(
            zip(
                FIELDS + WINE_FIELDS,
                (sku, title_en, title_zh, description_en, description_zh, category, hs_code, price, stock,
                 weight_grams, attributes, wine_abv, wine_volume_ml, label_name, label_type, label_abv,
                 label_volume, label_origin, label_importer, label_bottling_date),
                strict=True,
            )
        )  # fmt: skip


FormDep = Annotated[ProductForm, Depends()]


def _typed_from(product: Product) -> dict[str, str]:
    """A saved product as its form shows it: a wine's numbers and label in their own fields."""
    attributes = dict(product.attributes or {})
    wine: dict[str, str] = {}
    if product.category == "wine":
        for field, key in (("wine_abv", "abv"), ("wine_volume_ml", "volume_ml")):
            if isinstance(attributes.get(key), int | float | str) and not isinstance(attributes[key], bool):
                wine[field] = str(attributes.pop(key))
        label = attributes.get("zh_label")
        if isinstance(label, dict) and all(isinstance(v, str) for v in label.values()):
            for item in ZH_LABEL_FIELDS:
                wine[f"label_{item}"] = label.get(item, "")
            rest = {k: v for k, v in label.items() if k not in ZH_LABEL_FIELDS}
            if rest:
                attributes["zh_label"] = rest
            else:
                attributes.pop("zh_label")
    return wine | {
        "sku": product.sku,
        "title_en": product.title_en,
        "title_zh": product.title_zh,
        "description_en": product.description_en,
        "description_zh": product.description_zh,
        "category": product.category,
        "hs_code": product.hs_code,
        "price": dollars_typed(product.price_amount),
        "stock": str(product.stock),
        "weight_grams": str(product.weight_grams),
        "attributes": json.dumps(attributes, ensure_ascii=False, indent=2) if attributes else "",
    }


def _with_wine_fields(
    typed: dict[str, str], attributes: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    """The attributes box with a wine's own fields laid over it (a field left empty adds nothing,
    so the listing says what is missing)."""
    if typed.get("category") != "wine":
        return attributes
    merged = dict(attributes)
    abv = typed.get("wine_abv", "").strip().removesuffix("%").strip()
    if abv:
        number = alcohol_percent(abv)
        if number is None:
            errors["wine_abv"] = "invalid_field"
        else:
            merged["abv"] = number
    volume = typed.get("wine_volume_ml", "").strip()
    if volume:
        millilitres = whole(volume)
        if millilitres is None or not 0 < millilitres <= 100_000:
            errors["wine_volume_ml"] = "invalid_field"
        else:
            merged["volume_ml"] = millilitres
    label = dict(merged["zh_label"]) if isinstance(merged.get("zh_label"), dict) else {}
    for item in ZH_LABEL_FIELDS:
        text = typed.get(f"label_{item}", "").strip()
        if text:
            label[item] = text
    if label:
        merged["zh_label"] = label
    return merged


def alcohol_percent(text: str) -> int | float | None:
    """A percentage of alcohol such as 14.5, above 0 and at most 100 (the JSON the attributes
    hold), or None."""
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", text) or not 0 < float(text) <= 100:
        return None
    value = float(text)
    return int(value) if value.is_integer() else value


def _product_in(typed: dict[str, str]) -> tuple[SingleProductIn | None, dict[str, str]]:
    """The form as the API's SingleProductIn, or the fields in error (field -> code)."""
    errors: dict[str, str] = {}
    price = cents(typed["price"])
    if price is None:
        errors["price"] = "invalid_price"
    try:
        attributes = json.loads(typed["attributes"]) if typed["attributes"].strip() else {}
        if not isinstance(attributes, dict):
            raise ValueError
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" thousands deep
        errors["attributes"] = "invalid_attributes"
        attributes = {}
    attributes = _with_wine_fields(typed, attributes, errors)
    stock, weight = whole(typed["stock"]), whole(typed["weight_grams"])
    try:
        body = SingleProductIn.model_validate(
            {
                "sku": typed["sku"].strip(),
                "title": {"en": typed["title_en"], "zh": typed["title_zh"]},
                "description": {"en": typed["description_en"], "zh": typed["description_zh"]},
                "category": typed["category"],
                "hs_code": typed["hs_code"].strip(),
                "price": {"amount": price or 0, "currency": "USD"},
                "stock": -1 if stock is None else stock,  # the schema refuses what is not a number
                "weight_grams": 0 if weight is None else weight,
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


async def _preview(
    session: AsyncSession, snapshots: Snapshots, seller_id: int, body: SingleProductIn
) -> Listing:
    """The listing as buyers would see it, from a product that is not saved."""
    product = Product(
        seller_id=seller_id, sku=body.sku, title_en=body.title.en, title_zh=body.title.zh,
        description_en=body.description.en, description_zh=body.description.zh, category=body.category,
        hs_code=body.hs_code, price_amount=body.price.amount, price_currency="USD", stock=body.stock,
        weight_grams=body.weight_grams, attributes=body.attributes,
        created_at=utcnow(), updated_at=utcnow(),
    )  # fmt: skip
    return Listing.of(product, await listing_prices(session, snapshots, [product]))


async def own_product(
    session: AsyncSession, snapshots: Snapshots, seller: Principal, product_id: int
) -> Listing:
    """The seller's product; another seller's is "not found", as the order pages do."""
    listing = await catalog_service.get_listing(
        session, snapshots, product_id=product_id, viewer_id=seller.user_id
    )
    if listing.product.seller_id != seller.user_id:
        raise ProductNotFound(message=f"No product {product_id}.")
    return listing


def form_page(
    request: Request,
    seller: Principal,
    *,
    typed: dict[str, str],
    errors: dict[str, str],
    preview: Listing | None,
    editing: Listing | None = None,
    stock_was: str = "",
    status: int = 200,
    photos: list[Shown] | None = None,
    photo_error: str = "",
    variant_error: str = "",
    suggested: list[str] | None = None,
) -> HTMLResponse:
    context = {
        "engine": runtime_of(request).get(Engine).name,
        "variant_error": variant_error,
        "suggested": suggested or [],
        "wine_fields": WINE_FIELDS,
        "typed": typed,
        "errors": errors,
        "preview": preview,
        "editing": editing,
        "stock_was": stock_was,
        "photos": photos or [],
        "photo_error": photo_error,
        "max_photos": MAX_IMAGES,
        "categories": CATEGORIES,
        "viewer": seller,
    }
    return english(request, "seller/product_form.html", context, status=status)


@router.get("", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    session: SessionDep,
    snapshots: SnapshotsDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    page = await catalog_service.seller_listings(
        session, snapshots, seller_id=seller.user_id, limit=PAGE_SIZE, cursor=cursor
    )
    # the product just listed or saved: on sale, or what keeps it off sale, in words
    just: Listing | None = None
    named = whole(request.query_params.get("created") or request.query_params.get("saved") or "")
    if named is not None and 1 <= named <= MAX_ID:
        with contextlib.suppress(ProductNotFound):
            just = await own_product(session, snapshots, seller, named)
    context = {"listings": page.listings, "next_cursor": page.next_cursor, "viewer": seller, "just": just}
    return english(request, "seller/dashboard.html", context)


@router.get("/products/new", response_class=HTMLResponse)
async def new_product(request: Request, session: SessionDep) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    return form_page(request, seller, typed={"category": "wine"}, errors={}, preview=None)


@router.post("/products/preview", response_class=HTMLResponse)
async def preview_fragment(request: Request, form: FormDep, snapshots: SnapshotsDep) -> Response:
    """The preview alone, for the form's script to show as the seller types. It saves nothing,
    so it reads in a read transaction: a POST's usual session would take SQLite's write lock
    at every pause in the typing, ahead of real writes."""
    check_csrf(request, form.csrf_token)
    async with database_of(request).transaction(write=False) as session:
        seller = await signed_in_seller(request, session)
        if not isinstance(seller, Principal):
            return seller
        body, errors = _product_in(form.typed)
        preview = None if body is None else await _preview(session, snapshots, seller.user_id, body)
    context = {"preview": preview, "errors": errors, "viewer": seller}
    return english(request, "seller/preview.html", context, status=200 if body else 422)


@router.post("/products/new", response_class=HTMLResponse)
async def create_product(
    request: Request, session: SessionDep, snapshots: SnapshotsDep, form: FormDep
) -> Response:
    check_csrf(request, form.csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    if form.action == "suggest":  # drafted with no transaction open (seller_suggestions.py)
        return RedirectResponse("/seller/products/new/suggest", status_code=307)
    body, errors = _product_in(form.typed)
    if body is None:
        return form_page(request, seller, typed=form.typed, errors=errors, preview=None, status=422)
    if form.action == "preview":
        preview = await _preview(session, snapshots, seller.user_id, body)
        return form_page(request, seller, typed=form.typed, errors={}, preview=preview)
    try:
        async with savepoint(session):
            product = await catalog_service.create_product(
                session,
                snapshots,
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
        return form_page(
            request, seller, typed=form.typed, errors={"form": exc.code}, preview=None, status=exc.status
        )
    return RedirectResponse(f"/seller?created={product.id}", status_code=303)


async def edit_page(
    request: Request,
    session: AsyncSession,
    storage: Storage,
    seller: Principal,
    listing: Listing,
    *,
    photo_error: str = "",
    variant_error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The product's edit page as saved, with a refusal of a photo or a variant change if any."""
    product = listing.product
    photos = await catalog_service.images_of(session, storage, [product.id])
    return form_page(
        request,
        seller,
        typed=_typed_from(product),
        errors={},
        preview=listing,
        editing=listing,
        stock_was=str(product.stock),
        photos=photos[product.id],
        photo_error=photo_error,
        variant_error=variant_error,
        status=status,
    )


@router.get("/products/{product_id}/edit", response_class=HTMLResponse)
async def edit_product_form(
    request: Request, product_id: IdPath, session: SessionDep, snapshots: SnapshotsDep, storage: StorageDep
) -> Response:
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    listing = await own_product(session, snapshots, seller, product_id)
    return await edit_page(request, session, storage, seller, listing)


async def product_change(
    request: Request,
    session: AsyncSession,
    snapshots: Snapshots,
    storage: Storage,
    product_id: int,
    change: Callable[[Principal], Awaitable[object]],
    *,
    part: Literal["photos", "variants"],
) -> Response:
    """Make `change` to one part of the seller's product (its photos, its variants): back to the
    product's page at that part, or that page drawn as saved, with why not beside the part."""
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    await own_product(session, snapshots, seller, product_id)
    try:
        async with savepoint(session):
            await change(seller)
    except KuajingError as exc:
        session.expire_all()  # the savepoint rolled back: draw the product as saved
        listing = await own_product(session, snapshots, seller, product_id)
        said = {"photo_error": exc.message} if part == "photos" else {"variant_error": exc.message}
        return await edit_page(request, session, storage, seller, listing, status=exc.status, **said)
    where = "#photos" if part == "photos" else "?variant_saved=1#variants"
    return RedirectResponse(f"/seller/products/{product_id}/edit{where}", status_code=303)


@router.post("/products/{product_id}/photos", response_class=HTMLResponse)
async def add_photo(
    request: Request,
    product_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    csrf_token: Annotated[str, Form(max_length=200)],
    photo: Annotated[UploadFile, File()],
) -> Response:
    check_csrf(request, csrf_token)
    data = await photo.read(MAX_BYTES + 1)

    async def add(seller: Principal) -> object:
        return await catalog_service.add_image(
            session, storage, snapshots, seller_id=seller.user_id, product_id=product_id, data=data
        )

    return await product_change(request, session, snapshots, storage, product_id, add, part="photos")


@router.post("/products/{product_id}/photos/{image_id}/main", response_class=HTMLResponse)
async def make_photo_main(
    request: Request,
    product_id: IdPath,
    image_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    check_csrf(request, csrf_token)

    async def first(seller: Principal) -> object:
        held = (await catalog_service.images_of(session, storage, [product_id]))[product_id]
        order = [image_id] + [image.id for image in held if image.id != image_id]
        return await catalog_service.reorder_images(
            session, storage, snapshots, seller_id=seller.user_id, product_id=product_id, order=order
        )

    return await product_change(request, session, snapshots, storage, product_id, first, part="photos")


@router.post("/products/{product_id}/photos/{image_id}/remove", response_class=HTMLResponse)
async def remove_photo(
    request: Request,
    product_id: IdPath,
    image_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    csrf_token: Annotated[str, Form(max_length=200)],
) -> Response:
    check_csrf(request, csrf_token)

    async def remove(seller: Principal) -> object:
        await catalog_service.remove_image(
            session, storage, snapshots, seller_id=seller.user_id, product_id=product_id, image_id=image_id
        )
        return None

    return await product_change(request, session, snapshots, storage, product_id, remove, part="photos")


@router.post("/products/{product_id}/edit", response_class=HTMLResponse)
async def edit_product(
    request: Request,
    product_id: IdPath,
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    form: FormDep,
) -> Response:
    """Saves every field but the SKU. Stock is saved as the change from what the form showed
    (`stock_was`), as the API's stock_delta: units that orders took meanwhile stay taken."""
    check_csrf(request, form.csrf_token)
    seller = await signed_in_seller(request, session)
    if not isinstance(seller, Principal):
        return seller
    listing = await own_product(session, snapshots, seller, product_id)
    typed = {**form.typed, "sku": listing.product.sku}
    # the page drawn again keeps showing the product's photos
    photos = (await catalog_service.images_of(session, storage, [product_id]))[product_id]
    if form.action == "suggest":  # drafted with no transaction open (seller_suggestions.py)
        return RedirectResponse(f"/seller/products/{product_id}/suggest", status_code=307)
    body, errors = _product_in(typed)
    stock_was = whole(form.stock_was)
    if stock_was is None:
        errors["stock"] = "invalid_field"

    def again(errors: dict[str, str], preview: Listing | None, status: int) -> HTMLResponse:
        return form_page(
            request, seller, typed=typed, errors=errors, preview=preview, editing=listing,
            stock_was=form.stock_was, status=status, photos=photos,
        )  # fmt: skip

    if body is None or stock_was is None:
        return again(errors, None, 422)
    if form.action == "preview":
        return again({}, await _preview(session, snapshots, seller.user_id, body), 200)
    changes: dict[str, Any] = {
        "title": body.title.model_dump(),
        "description": body.description.model_dump(),
        "category": body.category,
        "hs_code": body.hs_code,
        "price": {"amount": body.price.amount, "currency": "USD"},
        "weight_grams": body.weight_grams,
        "attributes": body.attributes,
        "stock_delta": body.stock - stock_was,
    }
    if listing.product.has_variants:  # each variant's, changed in its own form
        changes = {key: value for key, value in changes.items() if key not in VARIANT_FIELDS}
    try:
        async with savepoint(session):
            await catalog_service.update_product(
                session, snapshots, seller_id=seller.user_id, product_id=product_id, changes=changes
            )
    except KuajingError as exc:
        # The savepoint's rollback left the product expired: read it again. When orders
        # overtook the stock change, count from the stock as it is now, so that saving once
        # more sets what the seller typed; any other refusal keeps the count the form began
        # with, or units sold meanwhile would go back on sale.
        session.expire(listing.product)
        listing = await own_product(session, snapshots, seller, product_id)
        overtaken = exc.code == "stock_would_go_negative"
        field = {"invalid_attributes": "attributes", "invalid_price": "price"}.get(exc.code, "form")
        return form_page(
            request, seller, typed=typed, errors={field: exc.code}, preview=None, editing=listing,
            stock_was=str(listing.product.stock) if overtaken else form.stock_was, status=exc.status,
            photos=photos,
        )  # fmt: skip
    return RedirectResponse(f"/seller?saved={product_id}", status_code=303)
