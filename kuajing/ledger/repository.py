"""The ledger's tables: entries and their lines (written once, never changed) and commission
rates. Reads the orders' and products' tables for the order a line belongs to and a product's
category (read only)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, case, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.db import insert_family
from kuajing.ledger.postings import Posting
from kuajing.models import (
    CommissionRate,
    JournalEntry,
    JournalLine,
    Order,
    Payout,
    PayoutBatch,
    PayoutLine,
    Product,
    SellerProfile,
)


@dataclass(frozen=True, slots=True)
class PostedLine:
    entry_id: int
    key: str
    kind: str
    memo: str
    occurred_at: datetime
    order_id: int | None
    account: str
    party: str
    currency: str
    debit: int
    credit: int


async def posted(session: AsyncSession, key: str) -> bool:
    return await session.scalar(select(JournalEntry.id).where(JournalEntry.key == key)) is not None


def _entry_values(posting: Posting, occurred_at: datetime) -> dict[str, Any]:
    return {
        "key": posting.key,
        "kind": posting.kind,
        "occurred_at": occurred_at,
        "order_id": posting.order_id,
        "payment_id": posting.payment_id,
        "refund_id": posting.refund_id,
        "payout_id": posting.payout_id,
        "memo": posting.memo[:300],
    }


async def add(session: AsyncSession, posting: Posting, *, occurred_at: datetime) -> int:
    entry_id = await session.scalar(
        insert(JournalEntry).values(**_entry_values(posting, occurred_at)).returning(JournalEntry.id)
    )
    assert entry_id is not None
    await _add_lines(session, posting, int(entry_id))
    return int(entry_id)


async def add_once(session: AsyncSession, posting: Posting, *, occurred_at: datetime) -> int | None:
    """add, unless an entry with the posting's key exists (None then, and nothing written): the
    entry INSERT … ON CONFLICT (key) DO NOTHING and its lines, one statement on PostgreSQL
    (db.insert_family), so the check and the write cannot be told apart by a concurrent posting
    of the same key (it waits for this one's transaction, then writes nothing)."""
    return await insert_family(
        session,
        JournalEntry.__table__,
        _entry_values(posting, occurred_at),
        [(JournalLine.__table__, "entry_id", _line_values(posting))],
        unless_exists="key",
    )


def _line_values(posting: Posting) -> list[dict[str, Any]]:
    return [
        {
            "account": line.account,
            "party": line.party,
            "currency": line.currency,
            "debit": line.debit,
            "credit": line.credit,
        }
        for line in posting.lines
    ]


async def _add_lines(session: AsyncSession, posting: Posting, entry_id: int) -> None:
    await session.execute(
        insert(JournalLine), [{"entry_id": entry_id, **values} for values in _line_values(posting)]
    )


# Read for every payment captured: built once.
_RATES_IN_FORCE = select(CommissionRate).where(
    CommissionRate.effective_from <= bindparam("on"),
    (CommissionRate.effective_to.is_(None)) | (CommissionRate.effective_to > bindparam("on")),
)
_CATEGORIES = select(Product.id, Product.category).where(Product.id.in_(bindparam("ids", expanding=True)))


async def rates_in_force(session: AsyncSession, on: date) -> Sequence[CommissionRate]:
    return (await session.scalars(_RATES_IN_FORCE, {"on": on})).all()


async def add_rate(session: AsyncSession, rate: CommissionRate) -> CommissionRate:
    session.add(rate)
    await session.flush()
    return rate


async def all_rates(session: AsyncSession) -> Sequence[CommissionRate]:
    return (await session.scalars(select(CommissionRate).order_by(CommissionRate.id))).all()


async def categories(session: AsyncSession, product_ids: Sequence[int]) -> dict[int, str]:
    rows = await session.execute(_CATEGORIES, {"ids": list(product_ids)})
    return {id_: category for id_, category in rows}


async def trial_balance(session: AsyncSession) -> list[tuple[str, str, int, int]]:
    rows = await session.execute(
        select(
            JournalLine.account,
            JournalLine.currency,
            func.coalesce(func.sum(JournalLine.debit), 0),
            func.coalesce(func.sum(JournalLine.credit), 0),
        )
        .group_by(JournalLine.account, JournalLine.currency)
        .order_by(JournalLine.account, JournalLine.currency)
    )
    return [(account, currency, int(debit), int(credit)) for account, currency, debit, credit in rows]


def _lines_query() -> Select[*tuple[Any, ...]]:
    return select(
        JournalEntry.id,
        JournalEntry.key,
        JournalEntry.kind,
        JournalEntry.memo,
        JournalEntry.occurred_at,
        JournalEntry.order_id,
        JournalLine.account,
        JournalLine.party,
        JournalLine.currency,
        JournalLine.debit,
        JournalLine.credit,
    ).join(JournalLine, JournalLine.entry_id == JournalEntry.id)


async def lines(
    session: AsyncSession,
    *,
    order_id: int | None = None,
    account: str | None = None,
    party: str | None = None,
    after_id: int = 0,
    limit: int | None = None,
) -> list[PostedLine]:
    query = _lines_query().where(JournalEntry.id > after_id)
    if order_id is not None:
        query = query.where(JournalEntry.order_id == order_id)
    if account is not None:
        query = query.where(JournalLine.account == account)
    if party is not None:
        query = query.where(JournalLine.party == party)
    query = query.order_by(JournalEntry.id, JournalLine.id)
    if limit is not None:
        query = query.limit(limit)
    return [PostedLine(*row) for row in (await session.execute(query)).all()]


async def balance(
    session: AsyncSession, *, account: str, currency: str, party: str = "", order_id: int | None = None
) -> int:
    """Credits less debits (what a liability or income account holds)."""
    query = (
        select(func.coalesce(func.sum(JournalLine.credit - JournalLine.debit), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalLine.account == account, JournalLine.currency == currency, JournalLine.party == party)
    )
    if order_id is not None:
        query = query.where(JournalEntry.order_id == order_id)
    return int(await session.scalar(query) or 0)


async def payable_by_window(
    session: AsyncSession, *, seller_id: int, delivered_before: datetime
) -> tuple[int, int]:
    """The seller's payable dollars split by whether the order's return window has closed (its
    delivery is older than `delivered_before`): (closed, still open). Lines with no order
    (payouts) count as closed."""
    closed = (Order.delivered_at.is_(None)) | (Order.delivered_at < delivered_before)
    amount = JournalLine.credit - JournalLine.debit
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((closed, amount), else_=0)), 0),
                func.coalesce(func.sum(case((closed, 0), else_=amount)), 0),
            )
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .outerjoin(Order, Order.id == JournalEntry.order_id)
            .where(
                JournalLine.account == "seller_payable",
                JournalLine.currency == "USD",
                JournalLine.party == str(seller_id),
            )
        )
    ).one()
    return int(row[0]), int(row[1])


async def debits_by_kind(session: AsyncSession, *, account: str, currency: str, party: str, kind: str) -> int:
    query = (
        select(func.coalesce(func.sum(JournalLine.debit - JournalLine.credit), 0))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            JournalLine.account == account,
            JournalLine.currency == currency,
            JournalLine.party == party,
            JournalEntry.kind == kind,
        )
    )
    return int(await session.scalar(query) or 0)


async def available_by_order(
    session: AsyncSession, *, delivered_before: datetime
) -> list[tuple[int, int, int]]:
    """(seller id, order id, cents) payable and not yet paid out, for orders delivered before
    `delivered_before` (their return window closed); non-zero only."""
    payable = (
        await session.execute(
            select(Order.seller_id, Order.id, func.sum(JournalLine.credit - JournalLine.debit))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(Order, Order.id == JournalEntry.order_id)
            .where(
                JournalLine.account == "seller_payable",
                JournalLine.currency == "USD",
                Order.delivered_at < delivered_before,
            )
            .group_by(Order.seller_id, Order.id)
        )
    ).all()
    paid = dict(
        (
            await session.execute(
                select(PayoutLine.order_id, func.sum(PayoutLine.amount_usd)).group_by(PayoutLine.order_id)
            )
        ).all()
    )
    found = [(seller, order, int(amount) - int(paid.get(order, 0))) for seller, order, amount in payable]
    return sorted(row for row in found if row[2])


async def add_batch(session: AsyncSession, batch: PayoutBatch) -> PayoutBatch:
    session.add(batch)
    await session.flush()
    return batch


async def add_payout(session: AsyncSession, payout: Payout, *, lines: Sequence[tuple[int, int]]) -> Payout:
    session.add(payout)
    await session.flush()
    await session.execute(
        insert(PayoutLine),
        [{"payout_id": payout.id, "order_id": order_id, "amount_usd": amount} for order_id, amount in lines],
    )
    return payout


async def find_payout(session: AsyncSession, payout_id: int) -> Payout | None:
    return await session.get(Payout, payout_id)


async def find_batch(session: AsyncSession, batch_id: int) -> PayoutBatch | None:
    return await session.get(PayoutBatch, batch_id)


async def batches(session: AsyncSession, limit: int) -> Sequence[PayoutBatch]:
    return (await session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc()).limit(limit))).all()


async def payouts_of_batch(session: AsyncSession, batch_id: int) -> Sequence[Payout]:
    return (
        await session.scalars(select(Payout).where(Payout.batch_id == batch_id).order_by(Payout.id))
    ).all()


async def payouts_of_seller(session: AsyncSession, seller_id: int) -> Sequence[Payout]:
    return (
        await session.scalars(select(Payout).where(Payout.seller_id == seller_id).order_by(Payout.id.desc()))
    ).all()


async def seller_names(session: AsyncSession, seller_ids: Sequence[int]) -> dict[int, str]:
    rows = await session.execute(
        select(SellerProfile.user_id, SellerProfile.legal_name).where(SellerProfile.user_id.in_(seller_ids))
    )
    return {user_id: name for user_id, name in rows.all()}


async def statement_rows(session: AsyncSession, *, payout_id: int) -> list[dict[str, Any]]:
    """Each order of a payout: its dollars as ordered, the commission and refunds posted for it,
    what earlier payouts paid for it, and what this one pays."""
    lines = (
        await session.execute(
            select(PayoutLine.order_id, PayoutLine.amount_usd, PayoutLine.id).where(
                PayoutLine.payout_id == payout_id
            )
        )
    ).all()
    order_ids = [order_id for order_id, _amount, _id in lines]
    orders = {
        order.id: order
        for order in (await session.scalars(select(Order).where(Order.id.in_(order_ids)))).all()
    }
    commission = dict(
        (
            await session.execute(
                select(JournalEntry.order_id, func.sum(JournalLine.credit - JournalLine.debit))
                .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                .where(
                    JournalEntry.order_id.in_(order_ids),
                    JournalLine.account == "commission_revenue",
                    JournalEntry.kind == "capture",
                )
                .group_by(JournalEntry.order_id)
            )
        ).all()
    )
    refunded = dict(
        (
            await session.execute(
                select(JournalEntry.order_id, func.sum(JournalLine.debit - JournalLine.credit))
                .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
                .where(
                    JournalEntry.order_id.in_(order_ids),
                    JournalLine.account.in_(("seller_pending", "seller_payable")),
                    JournalEntry.kind == "refund",
                )
                .group_by(JournalEntry.order_id)
            )
        ).all()
    )
    rows = []
    for order_id, amount, line_id in sorted(lines):
        before = await session.scalar(
            select(func.coalesce(func.sum(PayoutLine.amount_usd), 0)).where(
                PayoutLine.order_id == order_id, PayoutLine.id < line_id
            )
        )
        order = orders[order_id]
        rows.append(
            {
                "order_id": order_id,
                "delivered_at": order.delivered_at,
                "goods_usd": order.goods_usd_amount,
                "freight_usd": order.freight_usd_amount,
                "commission_usd": int(commission.get(order_id, 0)),
                "refunded_usd": int(refunded.get(order_id, 0)),
                "paid_before_usd": int(before or 0),
                "amount_usd": amount,
            }
        )
    return rows


async def entry_span(session: AsyncSession) -> tuple[int, int]:
    """The last entry's id and how many entries there are ((0, 0) when none)."""
    last, count = (
        await session.execute(
            select(func.coalesce(func.max(JournalEntry.id), 0), func.count(JournalEntry.id))
        )
    ).one()
    return int(last), int(count)


async def accounts_used(session: AsyncSession, *, through_id: int) -> list[tuple[str, str, str, datetime]]:
    """(account, party, currency, first posted at) of every account the entries up to
    `through_id` post to."""
    rows = await session.execute(
        select(
            JournalLine.account, JournalLine.party, JournalLine.currency, func.min(JournalEntry.occurred_at)
        )
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.id <= through_id)
        .group_by(JournalLine.account, JournalLine.party, JournalLine.currency)
        .order_by(JournalLine.account, JournalLine.party, JournalLine.currency)
    )
    return [(account, party, currency, first_at) for account, party, currency, first_at in rows]


async def entries_lines(
    session: AsyncSession, *, after_id: int, through_id: int, entries: int
) -> list[PostedLine]:
    """Every line of the next `entries` entries after `after_id` (none past `through_id`), in
    entry and line order: a page that never cuts an entry in two."""
    page = (
        select(JournalEntry.id)
        .where(JournalEntry.id > after_id, JournalEntry.id <= through_id)
        .order_by(JournalEntry.id)
        .limit(entries)
    )
    query = _lines_query().where(JournalEntry.id.in_(page)).order_by(JournalEntry.id, JournalLine.id)
    return [PostedLine(*row) for row in (await session.execute(query)).all()]


# any constant: the key PostgreSQL's advisory lock serialises payout runs on
PAYOUT_RUN_LOCK = 0x6B6A_7061_796F_7574  # "kjpayout"


async def lock_payout_runs(session: AsyncSession) -> None:
    """One payout run at a time (PostgreSQL: a transaction advisory lock; SQLite's writers are
    serial already), so two runs cannot pay the same dollars twice."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(PAYOUT_RUN_LOCK)))


async def entry_lines(session: AsyncSession, key: str) -> list[PostedLine]:
    """The lines of the entry named `key`, in order."""
    query = _lines_query().where(JournalEntry.key == key).order_by(JournalLine.id)
    return [PostedLine(*row) for row in (await session.execute(query)).all()]


async def owed_by_order(
    session: AsyncSession, *, seller_id: int
) -> list[tuple[int, datetime | None, int, int]]:
    """(order id, delivered at, cents pending, cents payable and not paid out) for each of the
    seller's orders that still owes them something, oldest order first."""
    party = str(seller_id)
    rows = (
        await session.execute(
            select(
                Order.id,
                Order.delivered_at,
                func.sum(
                    case(
                        (JournalLine.account == "seller_pending", JournalLine.credit - JournalLine.debit),
                        else_=0,
                    )
                ),
                func.sum(
                    case(
                        (JournalLine.account == "seller_payable", JournalLine.credit - JournalLine.debit),
                        else_=0,
                    )
                ),
            )
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(Order, Order.id == JournalEntry.order_id)
            .where(
                JournalLine.party == party,
                JournalLine.currency == "USD",
                JournalLine.account.in_(("seller_pending", "seller_payable")),
            )
            .group_by(Order.id, Order.delivered_at)
            .order_by(Order.id)
        )
    ).all()
    paid = dict(
        (
            await session.execute(
                select(PayoutLine.order_id, func.sum(PayoutLine.amount_usd))
                .join(Payout, Payout.id == PayoutLine.payout_id)
                .where(Payout.seller_id == seller_id)
                .group_by(PayoutLine.order_id)
            )
        ).all()
    )
    found = []
    for order_id, delivered_at, pending, payable in rows:
        unpaid = int(payable) - int(paid.get(order_id, 0))
        if int(pending) or unpaid:
            found.append((order_id, delivered_at, int(pending), unpaid))
    return found
