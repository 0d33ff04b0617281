from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from kuajing.auth.dependencies import SellerPrincipal
from kuajing.catalog import service
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.catalog.schemas import (
    Category,
    ProductIn,
    ProductOut,
    ProductPage,
    ProductPatch,
    TextOut,
)
from kuajing.catalog.service import Listing
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import MAX_ID, IdPath
from kuajing.kit.money import Money
from kuajing.kit.money_schemas import MoneyModel
from kuajing.problems import ProblemOut
from kuajing.runtime import SessionDep

router = APIRouter(tags=["catalog"])


def product_out(listing: Listing) -> ProductOut:
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
        stock=p.stock,
        weight_grams=p.weight_grams,
        attributes=p.attributes,
        zh_size=listing.zh_size,
        bonded_warehouse_only=listing.bonded_warehouse_only,
        problems=problems,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


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
            price=Money(body.price.amount, body.price.currency),
            stock=body.stock,
            weight_grams=body.weight_grams,
            attributes=body.attributes,
        )
        listing = await service.get_listing(session, snapshots, product_id=product.id)
        return product_out(listing).model_dump(mode="json")

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
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Category | None = None,
    seller_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> ProductPage:
    page = await service.search(
        session, snapshots, q=q, category=category, seller_id=seller_id, limit=limit, cursor=cursor
    )
    return ProductPage(
        items=[product_out(listing) for listing in page.listings], next_cursor=page.next_cursor
    )


@router.get("/products/{product_id}", response_model=ProductOut)
async def get_product(product_id: IdPath, session: SessionDep, snapshots: SnapshotsDep) -> ProductOut:
    return product_out(await service.get_listing(session, snapshots, product_id=product_id))


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
        listing = await service.get_listing(session, snapshots, product_id=product_id)
        return product_out(listing).model_dump(mode="json")

    return await respond_once(
        session,
        user_id=seller.user_id,
        key=idempotency_key,
        request=f"PATCH /products/{product_id}",
        body=body.model_dump(mode="json", exclude_unset=True),
        status_code=200,
        operation=update,
    )
