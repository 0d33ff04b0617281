"""Campaigns, deals and the purchase rules. A purchase is priced and checked per request
(prepare_attempt), then applied with others on the same deal in one transaction (apply_batch)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import repository as catalog_repository
from kuajing.catalog.errors import NotYourProduct, ProductNotFound
from kuajing.compliance import repository as compliance_repository
from kuajing.compliance.service import BuyerYear
from kuajing.errors import KuajingError
from kuajing.flash_sale import repository
from kuajing.flash_sale.errors import (
    BuyerLimitReached,
    CampaignEnded,
    CampaignNotFound,
    DealExists,
    DealNotFound,
    Ended,
    InvalidCampaignWindow,
    NotStarted,
    SoldOut,
)
from kuajing.flash_sale.ledger import (
    Attempt,
    DealFacts,
    IdempotencyClaim,
    Outcome,
    Refused,
    Replayed,
    Reserved,
    StockLedger,
)
from kuajing.flash_sale.reservations import TAKEN, LedgerDrift, ReservationStatus
from kuajing.idempotency import repository as idempotency_repository
from kuajing.kit.money import Money, convert
from kuajing.kit.pagination import decode_cursor, page_of
from kuajing.kit.time import utcnow
from kuajing.kit.ttl_cache import TTLCache
from kuajing.models import Campaign, Deal, DealReservation, Order, OrderLine, Product
from kuajing.order import service as order_service
from kuajing.order.errors import AnnualLimitReached, OutOfStock, YearlyQuantityCapReached
from kuajing.pricing import snapshots
from kuajing.seller.errors import CurrencyNotAllowed

MAX_DEAL_PRICE_CENTS = 10_000_000  # $100,000, as for a listing

# A deal's price, product, limit and window never change, so a worker keeps them for minutes.
_deals: TTLCache[int, DealFacts] = TTLCache(300.0)


@dataclass(frozen=True, slots=True)
class DealView:
    deal: Deal
    campaign: Campaign
    price_cny: int | None  # None until an operator has set an FX rate


@dataclass(frozen=True, slots=True)
class CampaignStats:
    orders: int
    units: int
    gmv: int  # goods at the deal prices, in fen, of orders placed and not expired or cancelled


@dataclass(frozen=True, slots=True)
class BatchResult:
    outcomes: list[Outcome]
    remaining: int  # units the deal has left after the batch


async def create_campaign(
    session: AsyncSession, *, name: str, starts_at: datetime, ends_at: datetime, operator_id: int
) -> Campaign:
    if ends_at <= starts_at:
        raise InvalidCampaignWindow(message="A campaign must end after it starts.")
    return await repository.add_campaign(
        session,
        Campaign(
            name=name.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            created_by_id=operator_id,
            created_at=utcnow(),
        ),
    )


async def _campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await repository.get_campaign(session, campaign_id)
    if campaign is None:
        raise CampaignNotFound(message=f"No campaign {campaign_id}.")
    return campaign


async def _price_cny(session: AsyncSession, amount_usd: int) -> int | None:
    fx = await snapshots.usd_cny(session)
    return None if fx is None else convert(Money(amount_usd, "USD"), fx.rate, "CNY").amount


async def create_deal(
    session: AsyncSession,
    *,
    seller_id: int,
    campaign_id: int,
    product_id: int,
    price: Money,
    quantity: int,
    per_buyer_limit: int,
) -> DealView:
    """Enroll one of the seller's products: its units are carved out of the product's stock by a
    guarded update, or the deal is refused and nothing is written."""
    now = utcnow()
    campaign = await _campaign(session, campaign_id)
    if now >= campaign.ends_at:
        raise CampaignEnded(message=f"Campaign {campaign_id} has ended.")
    product = await catalog_repository.get_product(session, product_id)
    if product is None:
        raise ProductNotFound(message=f"No product {product_id}.")
    if product.seller_id != seller_id:
        raise NotYourProduct(message="A seller enrolls only their own products.")
    if price.currency != "USD":
        raise CurrencyNotAllowed(message="Deal prices are in USD, like listings.")
    if not 1 <= price.amount <= MAX_DEAL_PRICE_CENTS:
        raise CurrencyNotAllowed("invalid_price", "The price must be between $0.01 and $100,000.00.")
    if not await catalog_repository.take_stock(session, product_id=product_id, quantity=quantity):
        raise OutOfStock(message=f"Product {product_id} has fewer than {quantity} units in stock.")
    deal = Deal(
        campaign_id=campaign_id,
        product_id=product_id,
        seller_id=seller_id,
        price_amount=price.amount,
        price_currency=price.currency,
        quantity=quantity,
        remaining=quantity,
        reserved=0,
        sold=0,
        per_buyer_limit=per_buyer_limit,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            await repository.add_deal(session, deal)
    except IntegrityError as exc:
        raise DealExists(
            message=f"Product {product_id} already has a deal in campaign {campaign_id}."
        ) from exc
    snapshots.forget_products([product_id])
    return DealView(deal, campaign, await _price_cny(session, deal.price_amount))


async def get_deal(session: AsyncSession, *, deal_id: int) -> DealView:
    found = await repository.get_deal(session, deal_id)
    if found is None:
        raise DealNotFound(message=f"No deal {deal_id}.")
    deal, campaign = found
    return DealView(deal, campaign, await _price_cny(session, deal.price_amount))


async def deal_facts(session: AsyncSession, *, deal_id: int) -> DealFacts:
    async def load() -> DealFacts:
        view = await get_deal(session, deal_id=deal_id)
        deal, campaign = view.deal, view.campaign
        return DealFacts(
            id=deal.id,
            campaign_id=deal.campaign_id,
            product_id=deal.product_id,
            seller_id=deal.seller_id,
            price_amount=deal.price_amount,
            per_buyer_limit=deal.per_buyer_limit,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
        )

    return await _deals.get_or_load(deal_id, load)


@dataclass(frozen=True, slots=True)
class DealCard:
    deal: Deal
    product: Product
    price_cny: int | None


@dataclass(frozen=True, slots=True)
class SinglesDay:
    campaign: Campaign
    deals: list[DealCard]


async def singles_day(session: AsyncSession, *, campaign_id: int | None, now: datetime) -> SinglesDay | None:
    """A campaign and its deals as the sale's page shows them: the one asked for, else the one on
    now, else the next to start; None when there is none."""
    if campaign_id is not None:
        campaign = await _campaign(session, campaign_id)
    else:
        found = await repository.current_campaign(session, now=now)
        if found is None:
            return None
        campaign = found
    cards = [
        DealCard(deal, product, await _price_cny(session, deal.price_amount))
        for deal, product in await repository.deals_with_products(session, campaign.id)
    ]
    return SinglesDay(campaign, cards)


@dataclass(frozen=True, slots=True)
class LiveBoard:
    """The 11.11 big screen: totals, the rate now, who sells most, and sales minute by minute."""

    campaign: Campaign
    stats: CampaignStats
    orders_per_second: float  # over the last LIVE_RATE_SECONDS
    sellers: list[tuple[str, str, int, int]]  # (legal name, state, orders, goods in fen), largest first
    states: list[tuple[str, int, int]]  # (state, orders, goods in fen), largest first
    minutes: list[tuple[str, int, int]]  # ("YYYY-MM-DD HH:MM" UTC, orders, goods in fen)


LIVE_RATE_SECONDS = 10
LIVE_MINUTES = 30


async def live_board(session: AsyncSession, *, campaign_id: int | None, now: datetime) -> LiveBoard | None:
    if campaign_id is not None:
        campaign: Campaign | None = await _campaign(session, campaign_id)
    else:
        campaign = await repository.current_campaign(session, now=now)
    if campaign is None:
        return None
    taken = list(TAKEN)
    stats = await campaign_stats(session, campaign_id=campaign.id)
    recent = await repository.campaign_sales_by_minute(
        session, campaign_id=campaign.id, statuses=taken, since=now - timedelta(seconds=LIVE_RATE_SECONDS)
    )
    sellers = await repository.campaign_sales_by_seller(
        session, campaign_id=campaign.id, statuses=taken, limit=1000
    )
    states: dict[str, list[int]] = {}
    for _seller_id, _name, state, orders, goods in sellers:
        totals = states.setdefault(state, [0, 0])
        totals[0] += orders
        totals[1] += goods
    minutes = await repository.campaign_sales_by_minute(
        session, campaign_id=campaign.id, statuses=taken, since=now - timedelta(minutes=LIVE_MINUTES)
    )
    return LiveBoard(
        campaign=campaign,
        stats=stats,
        orders_per_second=sum(orders for _m, orders, _g in recent) / LIVE_RATE_SECONDS,
        sellers=[(name, state, orders, goods) for _id, name, state, orders, goods in sellers[:10]],
        states=sorted(((state, o, g) for state, (o, g) in states.items()), key=lambda row: (-row[2], row[0])),
        minutes=minutes,
    )


async def campaign_stats(session: AsyncSession, *, campaign_id: int) -> CampaignStats:
    await _campaign(session, campaign_id)
    orders, units, goods = await repository.campaign_totals(
        session, campaign_id=campaign_id, statuses=list(TAKEN)
    )
    return CampaignStats(orders, units, goods)


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign: Campaign
    deals: int
    stats: CampaignStats


async def list_campaigns(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> tuple[list[CampaignSummary], str | None]:
    """Campaigns for the operator, the latest created first, each with its deals and what it
    has sold (campaign_stats, so the console counts exactly as the API's stats do)."""
    rows = await repository.list_campaigns(session, before_id=decode_cursor(cursor), limit=limit + 1)
    campaigns, next_cursor = page_of(rows, limit)
    deals = await repository.deal_counts(session, [campaign.id for campaign in campaigns])
    summaries = [
        CampaignSummary(c, deals.get(c.id, 0), await campaign_stats(session, campaign_id=c.id))
        for c in campaigns
    ]
    return summaries, next_cursor


def _window_refusal(deal: DealFacts, now: datetime) -> NotStarted | Ended | None:
    if now < deal.starts_at:
        return NotStarted(message=f"Deal {deal.id} starts at {deal.starts_at.isoformat()}.")
    if now >= deal.ends_at:
        return Ended(message=f"Deal {deal.id} ended at {deal.ends_at.isoformat()}.")
    return None


def refusal_from_memory(ledger: StockLedger, deal_id: int, *, now: datetime) -> KuajingError | None:
    """What `admit` refuses whatever the request says, for a deal whose facts this worker holds:
    outside the campaign's window, or known sold out. None when it may sell or is not in memory."""
    deal = _deals.get(deal_id)
    if deal is None:
        return None
    refusal = _window_refusal(deal, now)
    if refusal is not None:
        return refusal
    # trusted, not known: once the memory is due for a re-check, the request goes on to the
    # endpoint, whose admit() lets exactly one probe through to the store
    if ledger.sold_out_trusted(deal_id):
        return SoldOut(message=f"Deal {deal_id} is sold out.")
    return None


def admit(ledger: StockLedger, deal: DealFacts, *, quantity: int, now: datetime) -> None:
    """Refuse, without touching the database, what cannot succeed: outside the campaign's
    window, more than one buyer may ever hold, or a deal this worker knows is sold out."""
    refusal = _window_refusal(deal, now)
    if refusal is not None:
        raise refusal
    if quantity > deal.per_buyer_limit:
        raise BuyerLimitReached(message=f"Deal {deal.id} allows at most {deal.per_buyer_limit} per buyer.")
    if ledger.known_sold_out(deal.id):
        raise SoldOut(message=f"Deal {deal.id} is sold out.")


async def prepare_attempt(
    session: AsyncSession,
    *,
    deal: DealFacts,
    buyer_id: int,
    quantity: int,
    risk_notice_accepted: bool,
    risk_notice_version: str | None,
    shipping_address: dict[str, str] | None,
    ttl_seconds: float,
    idempotency: IdempotencyClaim | None,
    now: datetime,
    buyer: BuyerYear | None = None,
) -> Attempt:
    """Price the attempt at the deal price and check every CBEC rule a read can check (identity,
    risk notice, positive list, category rules, per-order limit, the year as it stands); the
    counters themselves are taken when the batch is applied.

    The product, the seller's fee and the FX rate come from the worker's snapshots, at most
    KUAJING_READ_CACHE_SECONDS old, not from three reads per attempt: the goods are priced at
    the deal's own fixed price, the order records the rate it used, and at 11.11 volumes those
    reads of the same three rows were a third of an attempt's cost. The buyer's identity, year
    and caps are read fresh (`buyer`, when the caller read them in a batch with other buyers'),
    and the year and caps are taken by guarded counters when the attempt is applied."""
    quote, notice = await order_service.checked_quote(
        session,
        buyer_id=buyer_id,
        lines=[(deal.product_id, quantity)],
        risk_notice_accepted=risk_notice_accepted,
        risk_notice_version=risk_notice_version,
        now=now,
        deal_prices={deal.product_id: deal.price_amount},
        fresh=False,
        buyer=buyer,
    )
    order, lines = order_service.order_fields(
        quote,
        buyer_id=buyer_id,
        shipping_address=shipping_address or {},
        notice=notice,
        now=now,
        ttl_seconds=ttl_seconds,
    )
    assert quote.identity is not None  # checked_quote refuses a buyer without one
    return Attempt(
        deal=deal,
        buyer_id=buyer_id,
        quantity=quantity,
        id_number=quote.identity.id_number,
        limit_year=quote.limit_year,
        dutiable=quote.amounts.dutiable,
        annual_limit=quote.limits.annual,
        capped={prefix: (amount, cap) for prefix, (amount, cap, _unit) in quote.capped.items()},
        order=order,
        lines=lines,
        idempotency=idempotency,
    )


def receipt(order: Order) -> dict[str, object]:
    """The purchase's answer, as sent and as stored for an Idempotency-Key replay."""
    return {"order_id": order.id, "status": order.status, "expires_at": order.expires_at.isoformat()}


def _reserved(order: Order) -> Reserved:
    return Reserved(order.id, order.expires_at, receipt(order))


async def _take_buyer_rooms(session: AsyncSession, attempts: Sequence[Attempt]) -> list[KuajingError | None]:
    """Take each attempt's per-deal allowance, CBEC year and capped quantities by guarded
    updates, a statement per counter table for all of them rather than per attempt (the deal's
    lock is held meanwhile, so this is the batch's serial part). An attempt refused by one
    counter gets back what the others took, and its refusal in the answer's place.

    One statement cannot update a row twice, so an attempt whose buyer or person (two accounts
    may name one ID number) is already in the statement waits for the next round."""
    refusals: list[KuajingError | None] = [None] * len(attempts)
    rounds: list[list[int]] = []
    for index, attempt in enumerate(attempts):
        for members in rounds:
            if all(
                attempts[other].buyer_id != attempt.buyer_id
                and attempts[other].id_number != attempt.id_number
                for other in members
            ):
                members.append(index)
                break
        else:
            rounds.append([index])
    for members in rounds:
        for index, refusal in zip(
            members, await _take_round(session, [attempts[i] for i in members]), strict=True
        ):
            refusals[index] = refusal
    return refusals


async def _take_round(session: AsyncSession, attempts: list[Attempt]) -> list[KuajingError | None]:
    """_take_buyer_rooms for attempts of distinct buyers and people. Row locks are taken table
    by table (deal buyers, years, capped lines), each sorted, the order every batch follows."""
    deal = attempts[0].deal
    refusals: list[KuajingError | None] = [None] * len(attempts)
    by_buyer = sorted(range(len(attempts)), key=lambda i: attempts[i].buyer_id)
    taken = await repository.consume_buyers_units(
        session,
        deal_id=deal.id,
        taking=[(attempts[i].buyer_id, attempts[i].quantity) for i in by_buyer],
        limit=deal.per_buyer_limit,
    )
    for i, ok in zip(by_buyer, taken, strict=True):
        if not ok:
            refusals[i] = BuyerLimitReached(
                message=f"Deal {deal.id} allows at most {deal.per_buyer_limit} per buyer."
            )

    by_person = sorted(
        (i for i in range(len(attempts)) if refusals[i] is None), key=lambda i: attempts[i].id_number
    )
    annual_taken: set[int] = set()
    for limit in sorted({attempts[i].annual_limit for i in by_person}):
        group = [i for i in by_person if attempts[i].annual_limit == limit]
        taken = await compliance_repository.consume_annuals(
            session,
            taking=[(attempts[i].id_number, attempts[i].limit_year, attempts[i].dutiable) for i in group],
            limit=limit,
        )
        for i, ok in zip(group, taken, strict=True):
            if ok:
                annual_taken.add(i)
            else:
                attempt = attempts[i]
                refusals[i] = AnnualLimitReached(
                    message=f"This order would pass your {attempt.limit_year} cross-border yearly limit."
                )

    lines = sorted(
        (attempts[i].id_number, prefix, i, amount, cap)
        for i in annual_taken
        for prefix, (amount, cap) in attempts[i].capped.items()
    )
    capped_taken: dict[int, list[tuple[str, int]]] = {}
    over: dict[int, list[str]] = {}  # attempt -> capped lines it would pass
    for cap in sorted({cap for *_rest, cap in lines}):
        group = [line for line in lines if line[4] == cap]
        taken = await compliance_repository.consume_quantities(
            session,
            taking=[
                (id_number, attempts[i].limit_year, prefix, amount)
                for id_number, prefix, i, amount, _ in group
            ],
            cap=cap,
        )
        for (_id_number, prefix, i, amount, _cap), ok in zip(group, taken, strict=True):
            if ok:
                capped_taken.setdefault(i, []).append((prefix, amount))
            else:
                over.setdefault(i, []).append(prefix)
    for i, prefixes in over.items():
        refusals[i] = YearlyQuantityCapReached(
            message=f"This order would pass your {attempts[i].limit_year} cap on HS {min(prefixes)} goods."
        )

    for i, refusal in enumerate(refusals):
        if refusal is not None and not isinstance(refusal, BuyerLimitReached):
            await _give_back(session, attempts[i], capped_taken.get(i, []), annual=i in annual_taken)
    return refusals


async def _give_back(
    session: AsyncSession, attempt: Attempt, capped: list[tuple[str, int]], *, annual: bool
) -> None:
    """Return what a refused attempt's other counters took: its capped lines, its year, its units."""
    for prefix, amount in capped:
        await compliance_repository.release_quantity(
            session, id_number=attempt.id_number, year=attempt.limit_year, hs_prefix=prefix, quantity=amount
        )
    if annual:
        await compliance_repository.release_annual(
            session, id_number=attempt.id_number, year=attempt.limit_year, amount=attempt.dutiable
        )
    await repository.release_buyer_units(
        session, deal_id=attempt.deal.id, buyer_id=attempt.buyer_id, quantity=attempt.quantity
    )


async def apply_batch(
    session: AsyncSession, *, deal: DealFacts, attempts: Sequence[Attempt], now: datetime
) -> BatchResult:
    """Apply attempts on one deal in the caller's transaction: claim their Idempotency-Keys, lock
    the deal row, take each buyer's room, then one guarded update of the deal for the batch's
    units and one INSERT per table for its orders. Refused attempts write nothing that stays.

    Locks follow one order: keys (sorted), the deal row, then the buyers' rows in rounds that go
    in ID-number order, each round's rows table by table (deal buyers, years, capped lines) and
    sorted by ID number within a table. A person's year is locked before their capped lines in
    every transaction that takes both, so two batches (or a batch and an expiring order) never
    wait on each other in a circle. Within a batch, units go to attempts in ID-number order.
    """
    outcomes: list[Outcome | None] = [None] * len(attempts)
    claimed: dict[tuple[str, str], int] = {}
    same_key_as: dict[int, int] = {}
    # Of several attempts with one key, one the Redis ledger admitted claims it (not one it
    # refused and sent only for its key), so the others share that one's answer.
    claims = sorted(
        ((attempt.idempotency, i) for i, attempt in enumerate(attempts) if attempt.idempotency is not None),
        key=lambda pair: (pair[0].owner, pair[0].key, attempts[pair[1]].refused is not None),
    )
    for claim, i in claims:
        name = (claim.owner, claim.key)
        if name in claimed:
            same_key_as[i] = claimed[name]
            continue
        if await idempotency_repository.claim(
            session, owner=claim.owner, key=claim.key, request_hash=claim.request_hash, now=now
        ):
            claimed[name] = i
        else:
            outcomes[i] = Replayed()

    # The same Redis admission twice in one batch (a replay racing its own worker): one write,
    # one answer for both, like one Idempotency-Key sent twice.
    first_with_token: dict[str, int] = {}
    for i, attempt in enumerate(attempts):
        if attempt.token is None or i in same_key_as:
            continue
        first = first_with_token.setdefault(attempt.token, i)
        if first != i:
            same_key_as[i] = first

    for i, attempt in enumerate(attempts):
        if outcomes[i] is None and i not in same_key_as and attempt.refused is not None:
            outcomes[i] = Refused(attempt.refused)

    refusal = _window_refusal(deal, now)
    for i in range(len(attempts)):
        if outcomes[i] is None and i not in same_key_as and refusal is not None:
            outcomes[i] = Refused(refusal)

    left = await repository.lock_remaining(session, deal.id)
    # A Redis-admitted attempt already written (its stream entry replayed by another worker, or
    # twice): answer with that order. Only a batch holding this deal's lock writes its
    # reservations, so what this read finds cannot change before the commit.
    tokens = [attempt.token for attempt in attempts if attempt.token is not None]
    written = await repository.orders_of_tokens(session, tokens) if tokens else {}
    for i, attempt in enumerate(attempts):
        if attempt.token in written and i not in same_key_as:
            outcomes[i] = _reserved(written[attempt.token])
    waiting = sorted(
        (i for i in range(len(attempts)) if outcomes[i] is None and i not in same_key_as),
        key=lambda i: (attempts[i].id_number, i),
    )
    winners: list[int] = []
    position = 0
    while position < len(waiting):
        # Units go in ID-number order. A round takes the attempts that fit what is left, and
        # stops at the first that would fit only if one of them were refused: it is settled
        # first, so rows are still locked in ID-number order and no later buyer is served
        # before an earlier one the units could have covered.
        picked, budget = [], left
        while position < len(waiting):
            i = waiting[position]
            if attempts[i].quantity > left:
                outcomes[i] = Refused(SoldOut(message=f"Deal {deal.id} is sold out."))
            elif attempts[i].quantity > budget:
                break
            else:
                picked.append(i)
                budget -= attempts[i].quantity
            position += 1
        if not picked:
            continue
        refusals = await _take_buyer_rooms(session, [attempts[i] for i in picked])
        for i, refusal in zip(picked, refusals, strict=True):
            if refusal is None:
                left -= attempts[i].quantity
                winners.append(i)
            else:
                outcomes[i] = Refused(refusal)

    if winners:
        units = sum(attempts[i].quantity for i in winners)
        if not await repository.hold_units(session, deal_id=deal.id, quantity=units):
            raise LedgerDrift(f"deal {deal.id} had fewer than {units} units under its lock")
        placed = [
            (
                Order(**attempts[i].order),
                [OrderLine(**line) for line in attempts[i].lines],
                DealReservation(
                    deal_id=deal.id,
                    buyer_id=attempts[i].buyer_id,
                    quantity=attempts[i].quantity,
                    status=ReservationStatus.held.value,
                    redis_token=attempts[i].token,
                    created_at=now,
                    updated_at=now,
                ),
            )
            for i in winners
        ]
        await repository.add_reserved_orders(session, placed, reason=f"placed: deal {deal.id}", now=now)
        for i, (order, _lines, _reservation) in zip(winners, placed, strict=True):
            outcomes[i] = _reserved(order)

    for i, first in same_key_as.items():
        outcomes[i] = outcomes[first]
    refused_keys = []
    for (owner, key), i in claimed.items():
        outcome = outcomes[i]
        if isinstance(outcome, Reserved):
            await idempotency_repository.complete(
                session, owner=owner, key=key, status_code=201, response=outcome.answer
            )
        else:
            refused_keys.append((owner, key))
    if refused_keys:
        await idempotency_repository.discard(session, refused_keys)
    answered = [outcome for outcome in outcomes if outcome is not None]
    assert len(answered) == len(attempts)
    return BatchResult(answered, left)


@dataclass(frozen=True, slots=True)
class SellerDeal:
    deal: Deal
    campaign: Campaign
    product: Product


async def open_campaigns(session: AsyncSession, *, now: datetime) -> list[Campaign]:
    return await repository.open_campaigns(session, now=now)


async def seller_deals(session: AsyncSession, *, seller_id: int) -> list[SellerDeal]:
    return [SellerDeal(*row) for row in await repository.deals_of_seller(session, seller_id)]
