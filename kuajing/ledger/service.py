"""Posting money events and reading the books. Callers post in the transaction that makes the
event happen (a capture and its entry commit together or not at all)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.errors import Conflict
from kuajing.kit.time import beijing_date
from kuajing.ledger import beancount, commission, postings, repository
from kuajing.ledger.accounts import SELLER_PAYABLE, SELLER_PENDING
from kuajing.ledger.repository import PostedLine
from kuajing.models import Order, Payment, Refund
from kuajing.order.return_window import RETURN_WINDOW
from kuajing.pricing.amounts import share_freight


async def post(session: AsyncSession, posting: postings.Posting, *, now: datetime) -> bool:
    """Write a balanced entry once: False (and nothing written) if its key was posted before."""
    return await repository.add_once(session, posting, occurred_at=now) is not None


async def line_commissions(session: AsyncSession, order: Order, *, on: datetime) -> dict[int, int]:
    """Each order line's commission in cents, at the rates in force on `on` (Beijing date)."""
    day = beijing_date(on)
    rates = await repository.rates_in_force(session, day)
    categories = await repository.categories(session, [line.product_id for line in order.lines])
    return {
        line.id: commission.commission(
            line.unit_price_usd_amount * line.quantity,
            commission.rate_for(
                rates, seller_id=order.seller_id, category=categories[line.product_id], on=day
            ).rate,
        )
        for line in order.lines
    }


def freight_usd_by_line(order: Order) -> dict[int, int]:
    """The order's dollar freight shared over its lines as its yuan freight was: by value."""
    lines = sorted(order.lines, key=lambda line: line.id)
    shares = share_freight(order.freight_usd_amount, [line.goods_amount for line in lines])
    return {line.id: amount for line, amount in zip(lines, shares, strict=True)}


def whole_split(order: Order, commissions: dict[int, int]) -> postings.Split:
    return postings.Split(
        total=order.total_amount,
        tax=order.tax_amount,
        goods_and_freight=order.goods_amount + order.freight_amount,
        goods_and_freight_usd=order.goods_usd_amount + order.freight_usd_amount,
        commission_usd=sum(commissions.values()),
    )


async def post_capture(session: AsyncSession, *, order: Order, payment: Payment, now: datetime) -> None:
    """The entry of a payment captured for `order` (whose lines are loaded)."""
    commissions = await line_commissions(session, order, on=now)
    await post(
        session,
        postings.capture(
            payment_id=payment.id,
            order_id=order.id,
            provider=payment.provider,
            seller_id=order.seller_id,
            split=whole_split(order, commissions),
        ),
        now=now,
    )


async def post_delivery(session: AsyncSession, *, order: Order, now: datetime) -> None:
    pending = await repository.balance(
        session, account=SELLER_PENDING.code, currency="USD", party=str(order.seller_id), order_id=order.id
    )
    if (
        posting := postings.delivery(order_id=order.id, seller_id=order.seller_id, pending_usd=pending)
    ) is not None:
        await post(session, posting, now=now)


async def delivered(session: AsyncSession, *, order_id: int) -> bool:
    """Whether the order's dollars have moved from pending to payable."""
    return await repository.posted(session, f"deliver:order:{order_id}")


async def post_refund(
    session: AsyncSession,
    *,
    refund: Refund,
    order: Order,
    payment: Payment,
    delivered: bool,
    now: datetime,
) -> None:
    """The reverse of the refunded share; the seller's dollars come back from payable once the
    order's delivery moved them there (`delivered`), else from pending."""
    split = postings.Split(
        total=refund.amount,
        tax=refund.tax_amount,
        goods_and_freight=refund.goods_amount + refund.freight_amount,
        goods_and_freight_usd=refund.goods_usd_amount + refund.freight_usd_amount,
        commission_usd=refund.commission_usd_amount,
    )
    await post(
        session,
        postings.refund(
            refund_id=refund.id,
            payment_id=payment.id,
            order_id=order.id,
            provider=payment.provider,
            seller_id=order.seller_id,
            split=split,
            delivered=delivered,
        ),
        now=now,
    )


async def reverse(
    session: AsyncSession, *, key: str, as_key: str, kind: str, memo: str, now: datetime
) -> bool:
    """Post the exact opposite of the entry `key` (a correction is a new entry, never an edit);
    False if `key` was never posted or the reversal was posted before."""
    lines = await repository.entry_lines(session, key)
    if not lines or await repository.posted(session, as_key):
        return False
    first = lines[0]
    await repository.add(
        session,
        postings.Posting(
            key=as_key,
            kind=kind,
            memo=memo,
            lines=tuple(
                postings.Line(line.account, line.party, line.currency, debit=line.credit, credit=line.debit)
                for line in lines
            ),
            order_id=first.order_id,
        ),
        occurred_at=now,
    )
    return True


@dataclass(frozen=True, slots=True)
class TrialBalanceRow:
    code: str
    currency: str
    debit: int
    credit: int


async def trial_balance(session: AsyncSession) -> list[TrialBalanceRow]:
    return [TrialBalanceRow(*row) for row in await repository.trial_balance(session)]


async def entry_lines(session: AsyncSession, *, key: str) -> list[PostedLine]:
    """The lines of the entry named `key` ([] if none was posted)."""
    return await repository.entry_lines(session, key)


async def is_posted(session: AsyncSession, *, key: str) -> bool:
    return await repository.posted(session, key)


async def order_lines(session: AsyncSession, *, order_id: int) -> list[PostedLine]:
    return await repository.lines(session, order_id=order_id)


async def account_lines(
    session: AsyncSession, *, account: str, party: str | None, after_id: int, limit: int
) -> list[PostedLine]:
    return await repository.lines(session, account=account, party=party, after_id=after_id, limit=limit)


@dataclass(frozen=True, slots=True)
class OrderOwed:
    order_id: int
    delivered_at: datetime | None
    amount: int  # cents still owed to the seller for the order
    available_on: datetime | None  # when its return window closes; None until it is delivered


async def owed_by_order(session: AsyncSession, *, seller_id: int) -> list[OrderOwed]:
    """What each of the seller's orders still owes them, and from when it can be paid out."""
    return [
        OrderOwed(
            order_id=order_id,
            delivered_at=delivered_at,
            amount=pending + payable,
            available_on=delivered_at + RETURN_WINDOW if delivered_at else None,
        )
        for order_id, delivered_at, pending, payable in await repository.owed_by_order(
            session, seller_id=seller_id
        )
    ]


@dataclass(frozen=True, slots=True)
class SellerBalance:
    pending: int  # cents: paid orders not yet delivered, or delivered within the return window
    available: int  # cents: delivered, the return window closed, not yet paid out
    paid: int  # cents: paid out


async def seller_balance(session: AsyncSession, *, seller_id: int, now: datetime) -> SellerBalance:
    party = str(seller_id)
    in_transit = await repository.balance(session, account=SELLER_PENDING.code, currency="USD", party=party)
    closed, in_window = await repository.payable_by_window(
        session, seller_id=seller_id, delivered_before=now - RETURN_WINDOW
    )
    paid_out = await repository.debits_by_kind(
        session, account=SELLER_PAYABLE.code, currency="USD", party=party, kind="payout"
    )
    return SellerBalance(pending=in_transit + in_window, available=closed, paid=paid_out)


class LedgerChanged(Conflict):
    code = "ledger_changed_during_export"


@dataclass(frozen=True, slots=True)
class Export:
    entries: int
    accounts: int


EXPORT_PAGE = 1000  # entries read and written at a time


async def write_beancount(
    session: AsyncSession,
    out: TextIO,
    *,
    page: int = EXPORT_PAGE,
    progress: Callable[[int, int], None] | None = None,
) -> Export:
    """The whole ledger as a Beancount file on `out`: its options, an `open` for every account,
    then each entry in id order, read `page` entries at a time so a large ledger is never held in
    memory; `progress(written, total)` after each page. The same books give the same text.

    It writes the entries there are when it starts, in the caller's one transaction: one snapshot
    on SQLite. On PostgreSQL (read committed) an entry committed meanwhile under an earlier id can
    still turn up; one that posts to an account the file has not opened raises LedgerChanged
    rather than write a file Beancount refuses: export again."""
    through_id, total = await repository.entry_span(session)
    found = beancount.accounts(await repository.accounts_used(session, through_id=through_id))
    opened = {account.name: account for account in found}
    column = beancount.width(found)
    out.write(beancount.header())
    if found:
        out.write("\n" + beancount.opens(found, column=column))
    written = after = 0
    if progress is not None:
        progress(written, total)
    while lines := await repository.entries_lines(
        session, after_id=after, through_id=through_id, entries=page
    ):
        for entry in beancount.entries(lines):
            if missing := beancount.unopened(entry, opened):
                raise LedgerChanged(
                    message=f"Entry {entry[0].key} posts to {', '.join(missing)}, which the file has "
                    "not opened: the ledger changed during the export. Export again."
                )
            out.write("\n" + beancount.transaction(entry, column=column))
            written += 1
        after = lines[-1].entry_id
        if progress is not None:
            progress(written, total)
    return Export(entries=written, accounts=len(found))
