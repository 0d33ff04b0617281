from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.flash_sale import reconciler
from kuajing.flash_sale.reconciler import Reconciliation
from kuajing.kit.time import BEIJING, utcnow
from kuajing.models import AnnualUsage, BuyerIdentity, Deal, DealBuyer, DealReservation, Order, OrderLine
from tests.auth.factories import Account, buyer_with_identity, operator_headers, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import Target, in_db
from tests.order.factories import ADDRESS


def window(starts_in: timedelta, lasts: timedelta) -> tuple[str, str]:
    """ISO times with the Beijing offset, `starts_in` from now (negative: already started)."""
    starts = (utcnow() + starts_in).astimezone(BEIJING).replace(microsecond=0)
    return starts.isoformat(), (starts + lasts).isoformat()


def create_campaign(
    api: httpx.Client,
    operator_token: str,
    *,
    starts_in: timedelta = timedelta(hours=-1),
    lasts: timedelta = timedelta(hours=2),
    name: str = "双11 2026",
) -> dict[str, Any]:
    starts_at, ends_at = window(starts_in, lasts)
    response = api.post(
        "/api/v1/campaigns",
        json={"name": name, "starts_at": starts_at, "ends_at": ends_at},
        headers=operator_headers(operator_token),
    )
    assert response.status_code == 201, response.text
    return response.json()


def deal_body(
    product_id: int, *, price_cents: int = 2000, quantity: int = 10, per_buyer_limit: int = 2
) -> dict:
    return {
        "product_id": product_id,
        "price": {"amount": price_cents, "currency": "USD"},
        "quantity": quantity,
        "per_buyer_limit": per_buyer_limit,
    }


def create_deal(
    api: httpx.Client, seller: Account, campaign_id: int, product_id: int, **options: Any
) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/campaigns/{campaign_id}/deals",
        json=deal_body(product_id, **options),
        headers=seller.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def purchase_body(quantity: int = 1, **overrides: Any) -> dict[str, Any]:
    return {"quantity": quantity, "risk_notice_accepted": True, **overrides}


def purchase(
    api: httpx.Client,
    buyer: Account,
    deal_id: int,
    quantity: int = 1,
    *,
    key: str | None = None,
    **overrides: Any,
) -> httpx.Response:
    headers = buyer.headers if key is None else {**buyer.headers, "Idempotency-Key": key}
    return api.post(
        f"/api/v1/deals/{deal_id}/purchase", json=purchase_body(quantity, **overrides), headers=headers
    )


def deal_of(api: httpx.Client, deal_id: int) -> dict[str, Any]:
    response = api.get(f"/api/v1/deals/{deal_id}")
    assert response.status_code == 200, response.text
    return response.json()


@dataclass(frozen=True)
class Ledger:
    """A deal as the database holds it: the counters and what the rows behind them add up to."""

    quantity: int
    remaining: int
    reserved: int
    sold: int
    held_units: int  # reservation rows still held
    sold_units: int  # reservation rows paid for
    orders: int  # orders behind held or sold reservations
    order_units: int  # units on those orders' lines
    most_units_per_buyer: int  # the largest per-buyer counter
    most_orders_per_buyer: int  # the most held or sold reservations one buyer has
    buyers: int  # distinct buyers holding units


def ledger_of(target: Target, deal_id: int) -> Ledger:
    async def read(session: AsyncSession) -> Ledger:
        deal = await session.get(Deal, deal_id)
        assert deal is not None

        async def units(status: str) -> int:
            return await session.scalar(
                select(func.coalesce(func.sum(DealReservation.quantity), 0)).where(
                    DealReservation.deal_id == deal_id, DealReservation.status == status
                )
            )

        taken = (DealReservation.deal_id == deal_id) & DealReservation.status.in_(["held", "sold"])
        orders = await session.scalar(
            select(func.count(Order.id))
            .join(DealReservation, DealReservation.order_id == Order.id)
            .where(taken)
        )
        order_units = await session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(DealReservation, DealReservation.order_id == OrderLine.order_id)
            .where(taken)
        )
        per_buyer = (
            select(DealReservation.buyer_id, func.count().label("n"))
            .where(taken)
            .group_by(DealReservation.buyer_id)
        ).subquery()
        return Ledger(
            quantity=deal.quantity,
            remaining=deal.remaining,
            reserved=deal.reserved,
            sold=deal.sold,
            held_units=await units("held"),
            sold_units=await units("sold"),
            orders=orders,
            order_units=order_units,
            most_units_per_buyer=await session.scalar(
                select(func.coalesce(func.max(DealBuyer.units), 0)).where(DealBuyer.deal_id == deal_id)
            ),
            most_orders_per_buyer=await session.scalar(select(func.coalesce(func.max(per_buyer.c.n), 0))),
            buyers=await session.scalar(select(func.count()).select_from(per_buyer)),
        )

    return in_db(target, read, write=False)


def annual_used(target: Target, buyer_ids: list[int]) -> dict[int, int]:
    """Each buyer's CBEC yearly usage (fen), for buyers who have a row at all."""

    async def read(session: AsyncSession) -> dict[int, int]:
        rows = await session.execute(
            select(BuyerIdentity.user_id, AnnualUsage.used_amount)
            .join(AnnualUsage, AnnualUsage.person_key == BuyerIdentity.person_key)
            .where(BuyerIdentity.user_id.in_(buyer_ids))
        )
        return {user_id: used for user_id, used in rows.all()}

    return in_db(target, read, write=False)


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text)


def holders(target: Target, deal_id: int) -> set[int]:
    """Buyers whose reservations of the deal are held or sold."""

    async def read(session: AsyncSession) -> set[int]:
        rows = await session.scalars(
            select(DealReservation.buyer_id).where(
                DealReservation.deal_id == deal_id, DealReservation.status.in_(["held", "sold"])
            )
        )
        return set(rows)

    return in_db(target, read, write=False)


def batches_of(target: Target, deal_id: int) -> int:
    """How many transactions placed the deal's reservations: a batch stamps all of its rows with
    one time, so distinct times count the batches that sold something."""

    async def read(session: AsyncSession) -> int:
        return await session.scalar(
            select(func.count(func.distinct(DealReservation.created_at))).where(
                DealReservation.deal_id == deal_id
            )
        )

    return in_db(target, read, write=False)


def wine_deal(api, operator_token, *, stock=50, **options):
    """(seller, wine, campaign, deal): a deal on a $30.00 wine (stock units) in a campaign open now."""
    seller = seller_with_profile(api)  # $5.00 freight
    wine = create_product(api, seller, stock=stock)  # listed at $30.00
    campaign = create_campaign(api, operator_token)
    return seller, wine, campaign, create_deal(api, seller, campaign["id"], wine["id"], **options)


def wine_deal_of(api, operator_token, quantity, per_buyer_limit=1):
    """A deal of `quantity` units on a new seller's wine, in a campaign open now."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=quantity)
    campaign = create_campaign(api, operator_token)
    return create_deal(
        api, seller, campaign["id"], wine["id"], quantity=quantity, per_buyer_limit=per_buyer_limit
    )


def deal_with_two_holders(api, operator_token):
    """A 10-unit deal (limit 3): one buyer holds 2 unpaid, another bought 1 and paid."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller, stock=10)
    deal = create_deal(
        api, seller, create_campaign(api, operator_token)["id"], wine["id"], quantity=10, per_buyer_limit=3
    )
    holder, payer = buyer_with_identity(api), buyer_with_identity(api)
    assert purchase(api, holder, deal["id"], 2).status_code == 201
    bought = purchase(api, payer, deal["id"], 1, shipping_address=ADDRESS)
    assert bought.status_code == 201, bought.text
    paid = api.post(
        f"/api/v1/orders/{bought.json()['order_id']}/pay", json={"method": "sandbox"}, headers=payer.headers
    )
    assert paid.status_code == 200, paid.text
    return deal, holder, payer


def reconcile(target: Target, deal_id: int, *, repair: bool) -> Reconciliation:
    return in_db(target, lambda session: reconciler.reconcile_deal(session, deal_id=deal_id, repair=repair))
