from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.dependencies import SellerPrincipal, optional_principal
from kuajing.catalog import finder, service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.facets import PriceBand, SearchRequest, Sort
from kuajing.catalog.schemas import (
    Category,
    Correction,
    FacetCount,
    Facets,
    ImageList,
    ImageOrderIn,
    ImageOut,
    ImageSizeOut,
    OptionOut,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    TextOut,
    VariantIn,
    VariantOut,
    VariantPatch,
)
from kuajing.catalog.service import Listing, VariantListing
from kuajing.catalog.snapshots import Snapshots
from kuajing.catalog.variants import own_attributes
from kuajing.errors import NotAuthenticated
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.money import Money
from kuajing.kit.money_schemas import MoneyModel
from kuajing.media.dependencies import StorageDep
from kuajing.media.images import MAX_BYTES
from kuajing.media.service import Shown
from kuajing.models import Role
from kuajing.problems import ProblemOut
from kuajing.runtime import SessionDep

router = APIRouter(tags=["catalog"])


def image_out(image: Shown) -> ImageOut:
    return ImageOut(
        id=image.id,
        url=image.url,
        width=image.width,
        height=image.height,
        position=image.position,
        sizes=[ImageSizeOut(width=s.width, height=s.height, webp=s.webp, jpg=s.jpg) for s in image.sizes],
    )


def variant_out(variant: VariantListing) -> VariantOut:
    row, price = variant.row, variant.price
    return VariantOut(
        id=row.id,
        sku=row.sku,
        options=list(row.option_values),
        price=MoneyModel.usd(row.price_amount),
        price_cny=MoneyModel.cny(price.price_cny) if price else None,
        landed=MoneyModel.cny(price.landed) if price else None,
        stock=row.stock,
        weight_grams=row.weight_grams,
        attributes=own_attributes(row.attributes) if row.parent_id is not None else {},
        zh_size=variant.zh_size,
    )


def product_out(listing: Listing, images: list[Shown] | None = None) -> ProductOut:
    p, price = listing.product, listing.price
    problems = []
    if price is None:
        problems.append(
            ProblemOut(
                code="not_priced",
                message="No yuan price yet: no FX rate is set, or the HS code is not on the positive list.",
                product_id=p.id,
            )
        )
    problems += [ProblemOut(code=r.code, message=r.message, product_id=p.id) for r in listing.problems]
    return ProductOut(
        id=p.id,
        seller_id=p.seller_id,
        sku=p.sku,
        title=TextOut(en=p.title_en, zh=p.title_zh),
        description=TextOut(en=p.description_en, zh=p.description_zh),
        category=p.category,
        hs_code=p.hs_code,
        price=MoneyModel.usd(p.price_amount),
        price_cny=MoneyModel.cny(price.price_cny) if price else None,
        tax_rate=str(price.tax_rate) if price else None,
        landed=MoneyModel.cny(price.landed) if price else None,
        freight=MoneyModel.cny(price.freight) if price else None,
        tax=MoneyModel.cny(price.tax) if price else None,
        stock=listing.stock,
        weight_grams=p.weight_grams,
        attributes=p.attributes,
        zh_size=listing.zh_size,
        bonded_warehouse_only=listing.bonded_warehouse_only,
        problems=problems,
        images=[image_out(image) for image in images or []],
        options=[
            OptionOut(name=TextOut(en=o["name"]["en"], zh=o["name"]["zh"]), values=o["values"])
            for o in p.options
        ],
        variants=[variant_out(variant) for variant in listing.variants],
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


async def _product_json(
    session: AsyncSession, snapshots: Snapshots, product_id: int, seller_id: int
) -> dict[str, Any]:
    """The product as a write's answer gives it to its seller: as GET shows it, without its photos."""
    listing = await service.get_listing(session, snapshots, product_id=product_id, viewer_id=seller_id)
    return product_out(listing).model_dump(mode="json")


@router.post("/products", status_code=201, response_model=ProductOut)
async def create_product(
    body: ProductIn,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        product = await service.create_product(
            session,
            snapshots,
            seller_id=seller.user_id,
            sku=body.sku,
            title=body.title.model_dump(),
            description=body.description.model_dump(),
            category=body.category,
            hs_code=body.hs_code,
            price=Money(body.price.amount, body.price.currency) if body.price else None,
            stock=body.stock,
            weight_grams=body.weight_grams,
            attributes=body.attributes,
            options=[option.model_dump() for option in body.options],
            new_variants=[variant.as_new() for variant in body.variants],
        )
        return await _product_json(session, snapshots, product.id, seller.user_id)

    return await respond_once(
        session,
        user_id=seller.user_id,
        key=idempotency_key,
        request="POST /products",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=create,
    )


@router.get("/products", response_model=ProductPage)
async def list_products(
    session: SessionDep,
    snapshots: SnapshotsDep,
    storage: StorageDep,
    q: Annotated[str | None, Query(max_length=100, description="Chinese, English or pinyin words.")] = None,
    category: Category | None = None,
    state: Annotated[str | None, Query(pattern="^[A-Z]{2}$", description="The seller's US state.")] = None,
    seller_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    price_band: PriceBand | None = None,
    sort: Sort = "relevance",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> ProductPage:
    """Search and browse: every word of `q` must match (a title match ranks above a description
    match), its synonyms and pinyin included, a mistyped English word corrected. Without `q`, the
    catalog in the order listed (relevance) or sorted."""
    request = SearchRequest(
        q=q, category=category, state=state, seller_id=seller_id, price_band=price_band, sort=sort
    )
    page = await finder.search(session, snapshots, request, limit=limit, cursor=cursor)
    images = await service.images_of(session, storage, [listing.product.id for listing in page.listings])
    return ProductPage(
        items=[product_out(listing, images[listing.product.id]) for listing in page.listings],
        next_cursor=page.next_cursor,
        total=len(page.found.ids),
        facets=Facets(
            **{
                facet: [FacetCount(value=c.value, count=c.count) for c in counts]
                for facet, counts in page.found.facets.items()
            }
        ),
        partial=page.found.partial,
        corrected=[Correction(typed=typed, searched=list(words)) for typed, words in page.found.corrected],
    )


@router.get("/products/{product_id}", response_model=ProductOut)
async def get_product(
    product_id: IdPath, request: Request, session: SessionDep, snapshots: SnapshotsDep, storage: StorageDep
) -> ProductOut:
    """The product, priced, with its photos and variants. A seller not (or no longer) approved
    is not shown: 404 product_not_found, but to that seller themselves (their bearer token)."""
    try:
        caller = await optional_principal(request, session)
    except NotAuthenticated:  # a public page: a stale token reads it as anyone does
        caller = None
    viewer_id = caller.user_id if caller is not None and caller.role == Role.seller else None
    listing = await service.get_listing(session, snapshots, product_id=product_id, viewer_id=viewer_id)
    images = await service.images_of(session, storage, [product_id])
    return product_out(listing, images[product_id])


@router.post(
    "/products/{product_id}/images",
    status_code=201,
    response_model=ImageOut,
    responses={413: {"model": ProblemOut}, 422: {"model": ProblemOut}, 409: {"model": ProblemOut}},
)
async def add_image(
    product_id: IdPath,
    file: UploadFile,
    seller: SellerPrincipal,
    session: SessionDep,
    storage: StorageDep,
    snapshots: SnapshotsDep,
) -> ImageOut:
    """A photo (JPEG, PNG or WebP, up to 10 MB) for the seller's own product, checked by its
    bytes, stripped of metadata and drawn at 240/480/960 px as WebP and JPEG; the first photo is
    the main one. Refused with nothing stored: unsupported_image, image_too_large (413 when the
    request says it is larger), image_too_small, too_many_images, duplicate_image."""
    data = await file.read(MAX_BYTES + 1)
    return image_out(
        await service.add_image(
            session, storage, snapshots, seller_id=seller.user_id, product_id=product_id, data=data
        )
    )


@router.get("/products/{product_id}/images", response_model=ImageList)
async def list_images(
    product_id: IdPath, session: SessionDep, snapshots: SnapshotsDep, storage: StorageDep
) -> ImageList:
    await service.get_listing(session, snapshots, product_id=product_id)  # 404 for no product
    images = await service.images_of(session, storage, [product_id])
    return ImageList(items=[image_out(image) for image in images[product_id]])


@router.put("/products/{product_id}/images/order", response_model=ImageList)
async def reorder_images(
    product_id: IdPath,
    body: ImageOrderIn,
    seller: SellerPrincipal,
    session: SessionDep,
    storage: StorageDep,
    snapshots: SnapshotsDep,
) -> ImageList:
    """Put the product's photos in this order: every photo once, the main photo first."""
    images = await service.reorder_images(
        session, storage, snapshots, seller_id=seller.user_id, product_id=product_id, order=body.ids
    )
    return ImageList(items=[image_out(image) for image in images])


@router.delete("/products/{product_id}/images/{image_id}", status_code=204)
async def remove_image(
    product_id: IdPath,
    image_id: IdPath,
    seller: SellerPrincipal,
    session: SessionDep,
    storage: StorageDep,
    snapshots: SnapshotsDep,
) -> Response:
    await service.remove_image(
        session, storage, snapshots, seller_id=seller.user_id, product_id=product_id, image_id=image_id
    )
    return Response(status_code=204)


@router.patch("/products/{product_id}", response_model=ProductOut)
async def patch_product(
    product_id: IdPath,
    body: ProductPatch,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    # Honoured here too: a retried stock_delta must not be applied twice.
    async def update() -> dict[str, Any]:
        await service.update_product(
            session,
            snapshots,
            seller_id=seller.user_id,
            product_id=product_id,
            changes=body.model_dump(exclude_unset=True),
        )
        return await _product_json(session, snapshots, product_id, seller.user_id)

    return await respond_once(
        session,
        user_id=seller.user_id,
        key=idempotency_key,
        request=f"PATCH /products/{product_id}",
        body=body.model_dump(mode="json", exclude_unset=True),
        status_code=200,
        operation=update,
    )


@router.post("/products/{product_id}/variants", status_code=201, response_model=ProductOut)
async def add_variant(
    product_id: IdPath,
    body: VariantIn,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """One more variant of the seller's product with options: its values, SKU, price, stock,
    weight and measurements. Answers the product with all its variants."""

    async def add() -> dict[str, Any]:
        await service.add_variant(
            session, snapshots, seller_id=seller.user_id, product_id=product_id, variant=body.as_new()
        )
        return await _product_json(session, snapshots, product_id, seller.user_id)

    return await respond_once(
        session,
        user_id=seller.user_id,
        key=idempotency_key,
        request=f"POST /products/{product_id}/variants",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=add,
    )


@router.patch("/products/{product_id}/variants/{variant_id}", response_model=ProductOut)
async def patch_variant(
    product_id: IdPath,
    variant_id: IdPath,
    body: VariantPatch,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """A variant's price, weight, measurements, or stock as a delta. Answers the whole product."""

    async def update() -> dict[str, Any]:
        await service.update_variant(
            session,
            snapshots,
            seller_id=seller.user_id,
            product_id=product_id,
            variant_id=variant_id,
            changes=body.model_dump(exclude_unset=True),
        )
        return await _product_json(session, snapshots, product_id, seller.user_id)

    return await respond_once(
        session,
        user_id=seller.user_id,
        key=idempotency_key,
        request=f"PATCH /products/{product_id}/variants/{variant_id}",
        body=body.model_dump(mode="json", exclude_unset=True),
        status_code=200,
        operation=update,
    )
