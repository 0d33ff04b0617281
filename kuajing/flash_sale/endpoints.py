from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kuajing.auth.dependencies import OperatorPrincipal, SellerPrincipal, principal_with_role
from kuajing.db import SessionDep, database_of, end_read
from kuajing.errors import Conflict, NotAuthenticated
from kuajing.flash_sale import service
from kuajing.flash_sale.ledger import IdempotencyClaim, Refused, Replayed, Reserved, StockLedger
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
from kuajing.idempotency import service as idempotency_service
from kuajing.idempotency.http import IdempotencyKeyHeader, respond_once
from kuajing.kit.ids import IdPath
from kuajing.kit.money import Money
from kuajing.kit.money_schemas import MoneyModel
from kuajing.kit.time import BEIJING, beijing_year, utcnow
from kuajing.models import Campaign, Role

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
        product_id=deal.product_id,
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
    async def create() -> dict:
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
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def create() -> dict:
        view = await service.create_deal(
            session,
            seller_id=seller.user_id,
            campaign_id=campaign_id,
            product_id=body.product_id,
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
async def get_deal(deal_id: IdPath, session: SessionDep) -> DealOut:
    return deal_out(await service.get_deal(session, deal_id=deal_id))


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
    # No per-request write transaction here: the read work (who, which deal, the quote) runs in
    # a short read session, and the ledger applies the attempt in a batch with its neighbours.
    ledger: StockLedger = request.app.state.stock_ledger
    now = utcnow()
    claim = None
    if "authorization" not in request.headers:
        raise NotAuthenticated(message="Send Authorization: Bearer <token>.")
    async with database_of(request).transaction(write=False) as session:
        deal = await service.deal_facts(session, deal_id=deal_id)
        await end_read(session)  # before waiting on the token's batched lookup
        if idempotency_key is None:
            # The losers' fast path: a deal this worker knows is sold out (or outside its window)
            # is refused from memory, before the token is looked up; GET /deals shows as much.
            service.admit(ledger, deal, quantity=body.quantity, now=now)
        buyer = await principal_with_role(request, session, Role.buyer)
        if idempotency_key is not None:
            # A replay answers with the first result even once the deal has sold out.
            idempotency_service.check_key(idempotency_key)
            claim = IdempotencyClaim(
                owner=f"user:{buyer.user_id}",
                key=idempotency_key,
                request_hash=idempotency_service.fingerprint(
                    f"POST /deals/{deal_id}/purchase", body.model_dump(mode="json")
                ),
            )
            stored = await idempotency_service.replay(
                session, owner=claim.owner, key=claim.key, request_hash=claim.request_hash
            )
            if stored is not None:
                return JSONResponse(stored.body, status_code=stored.status_code)
            await end_read(session)  # before waiting on the buyer's batched lookup
            service.admit(ledger, deal, quantity=body.quantity, now=now)
        buyer_year = await request.app.state.buyer_years.load(session, (buyer.user_id, beijing_year(now)))
        attempt = await service.prepare_attempt(
            session,
            deal=deal,
            buyer_id=buyer.user_id,
            quantity=body.quantity,
            risk_notice_accepted=body.risk_notice_accepted,
            risk_notice_version=body.risk_notice_version,
            shipping_address=body.shipping_address.model_dump() if body.shipping_address else None,
            ttl_seconds=request.app.state.settings.flash_sale_ttl_seconds,
            idempotency=claim,
            now=now,
            buyer=buyer_year,
        )
    outcome = await ledger.purchase(attempt)
    if isinstance(outcome, Reserved):
        return JSONResponse(outcome.answer, status_code=201)
    if isinstance(outcome, Refused):
        raise outcome.error
    assert isinstance(outcome, Replayed) and claim is not None
    async with database_of(request).transaction(write=False) as session:
        stored = await idempotency_service.replay(
            session, owner=claim.owner, key=claim.key, request_hash=claim.request_hash
        )
    if stored is None:
        raise Conflict("idempotency_in_progress", "A request with this Idempotency-Key is in progress.")
    return JSONResponse(stored.body, status_code=stored.status_code)
