from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.dependencies import OperatorPrincipal, SellerPrincipal, principal_with_role
from kuajing.catalog.dependencies import SnapshotsDep
from kuajing.errors import NotAuthenticated
from kuajing.flash_sale import purchase as deal_purchase
from kuajing.flash_sale import service
from kuajing.flash_sale.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignStatsOut,
    DealIn,
    DealOut,
    PurchaseIn,
    PurchaseOut,
)
from kuajing.flash_sale.service import DealView
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import IdPath
from kuajing.kit.money import Money
from kuajing.kit.money_schemas import MoneyModel
from kuajing.kit.time import BEIJING, utcnow
from kuajing.models import Campaign, Role
from kuajing.runtime import SessionDep, runtime_of

router = APIRouter(tags=["flash sale"])


def campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        id=campaign.id,
        name=campaign.name,
        starts_at=campaign.starts_at.astimezone(BEIJING),
        ends_at=campaign.ends_at.astimezone(BEIJING),
    )


def deal_out(view: DealView) -> DealOut:
    deal, campaign = view.deal, view.campaign
    return DealOut(
        id=deal.id,
        campaign_id=deal.campaign_id,
        product_id=deal.variant_of if deal.variant_of is not None else deal.product_id,
        variant_id=deal.product_id if deal.variant_of is not None else None,
        price=MoneyModel.usd(deal.price_amount),
        price_cny=None if view.price_cny is None else MoneyModel.cny(view.price_cny),
        quantity=deal.quantity,
        remaining=deal.remaining,
        reserved=deal.reserved,
        sold=deal.sold,
        per_buyer_limit=deal.per_buyer_limit,
        starts_at=campaign.starts_at.astimezone(BEIJING),
        ends_at=campaign.ends_at.astimezone(BEIJING),
    )


@router.post("/campaigns", status_code=201, response_model=CampaignOut)
async def create_campaign(
    body: CampaignIn,
    operator: OperatorPrincipal,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        campaign = await service.create_campaign(
            session,
            name=body.name,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            operator_id=operator.user_id,
        )
        return campaign_out(campaign).model_dump(mode="json")

    return await respond_once(
        session,
        user_id=operator.user_id,
        key=idempotency_key,
        request="POST /campaigns",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=create,
    )


@router.post("/campaigns/{campaign_id}/deals", status_code=201, response_model=DealOut)
async def create_deal(
    campaign_id: IdPath,
    body: DealIn,
    seller: SellerPrincipal,
    session: SessionDep,
    snapshots: SnapshotsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def create() -> dict[str, Any]:
        view = await service.create_deal(
            session,
            snapshots,
            seller_id=seller.user_id,
            campaign_id=campaign_id,
            product_id=body.product_id,
            variant_id=body.variant_id,
            price=Money(body.price.amount, body.price.currency),
            quantity=body.quantity,
            per_buyer_limit=body.per_buyer_limit,
        )
        return deal_out(view).model_dump(mode="json")

    return await respond_once(
        session,
        user_id=seller.user_id,
        key=idempotency_key,
        request=f"POST /campaigns/{campaign_id}/deals",
        body=body.model_dump(mode="json"),
        status_code=201,
        operation=create,
    )


@router.get("/deals/{deal_id}", response_model=DealOut)
async def get_deal(deal_id: IdPath, session: SessionDep, snapshots: SnapshotsDep) -> DealOut:
    return deal_out(await service.get_deal(session, snapshots.fx, deal_id=deal_id))


@router.get("/campaigns/{campaign_id}/stats", response_model=CampaignStatsOut)
async def campaign_stats(campaign_id: IdPath, session: SessionDep) -> CampaignStatsOut:
    stats = await service.campaign_stats(session, campaign_id=campaign_id)
    return CampaignStatsOut(orders=stats.orders, units=stats.units, gmv=MoneyModel.cny(stats.gmv))


@router.post(
    "/deals/{deal_id}/purchase",
    status_code=201,
    response_model=PurchaseOut,
    responses={409: {"description": "sold_out, buyer_limit_reached, not_started or ended"}},
    # the route checks the bearer token itself (after the sold-out fast path); say so in the docs
    openapi_extra={"security": [{"HTTPBearer": []}]},
)
async def purchase(
    request: Request, deal_id: IdPath, body: PurchaseIn, idempotency_key: IdempotencyKeyHeader = None
) -> JSONResponse:
    # No per-request session or dependencies here (the 11.11 hot path): the flow opens its own
    # short read session, and the ledger applies the attempt in a batch with its neighbours.
    # Most purchases do not even come through here: stock_ledger.fast_path answers them with
    # answer_purchase before routing, and sends here only what it leaves to the framework.
    return await answer_purchase(request, deal_id, body, idempotency_key)


async def answer_purchase(
    request: Request, deal_id: int, body: PurchaseIn, idempotency_key: str | None
) -> JSONResponse:
    """POST /deals/{deal_id}/purchase with its body validated: the 201 and its receipt, or the
    refusal raised."""
    if "authorization" not in request.headers:
        raise NotAuthenticated(message="Send Authorization: Bearer <token>.")

    async def bearer_buyer(session: AsyncSession) -> int:
        return (await principal_with_role(request, session, Role.buyer)).user_id

    answer = await deal_purchase.purchase(
        runtime_of(request).get(deal_purchase.PurchaseContext),
        deal_purchase.PurchaseRequest(
            deal_id=deal_id,
            quantity=body.quantity,
            risk_notice_accepted=body.risk_notice_accepted,
            risk_notice_version=body.risk_notice_version,
            shipping_address=body.shipping_address.model_dump() if body.shipping_address else None,
            idempotency_key=idempotency_key,
            # fingerprinted with its key only: without one it is never read
            body=body.model_dump(mode="json") if idempotency_key is not None else None,
            answer_early=True,
        ),
        buyer=bearer_buyer,
        now=utcnow(),
    )
    return JSONResponse(answer.body, status_code=answer.status_code)
