"""The books checked against the money records they come from, computed independently of the
ledger's own code: run after any test that moves money.

- every journal entry balances in each currency;
- CBEC tax payable = the tax of every captured payment's order less the tax refunded;
- each provider's clearing account = what it captured less what it refunded, its yuan fees and
  the yuan it settled (the test that settles says how much: `settled`);
- each seller's payable = the net (goods + freight - commission, in dollars) of their delivered
  orders less what was refunded of them and what was paid out, and their pending = the same for
  paid orders not yet delivered; the commission recomputed here at the default 5% on each line's
  goods.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import JournalEntry, JournalLine, Order, OrderLine, Payment, Payout, Refund
from tests.helpers import Target, in_db

DEFAULT_RATE = Decimal("0.05")


def _commission(goods_usd: int) -> int:
    return int((Decimal(goods_usd) * DEFAULT_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def _read(session: AsyncSession) -> dict[str, object]:
    unbalanced = (
        await session.execute(
            select(JournalLine.entry_id, JournalLine.currency)
            .group_by(JournalLine.entry_id, JournalLine.currency)
            .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
        )
    ).all()
    balances: dict[tuple[str, str, str], int] = defaultdict(int)
    for account, party, currency, debit, credit in (
        await session.execute(
            select(
                JournalLine.account,
                JournalLine.party,
                JournalLine.currency,
                func.sum(JournalLine.debit),
                func.sum(JournalLine.credit),
            ).group_by(JournalLine.account, JournalLine.party, JournalLine.currency)
        )
    ).all():
        balances[(account, party, currency)] = int(credit) - int(debit)

    captured = (await session.scalars(select(Payment).where(Payment.status == "captured"))).all()
    refunds = (await session.scalars(select(Refund).where(Refund.status != "failed"))).all()
    order_ids = {payment.order_id for payment in captured}
    orders = {
        order.id: order
        for order in (await session.scalars(select(Order).where(Order.id.in_(order_ids)))).all()
    }
    lines = (await session.scalars(select(OrderLine).where(OrderLine.order_id.in_(order_ids)))).all()
    commission: dict[int, int] = defaultdict(int)
    for line in lines:
        commission[line.order_id] += _commission(line.unit_price_usd_amount * line.quantity)
    delivered_entries = set(
        (await session.scalars(select(JournalEntry.order_id).where(JournalEntry.kind == "delivery"))).all()
    )

    tax = 0
    clearing: dict[str, int] = defaultdict(int)
    owed: dict[tuple[str, str], int] = defaultdict(int)
    paying = {}
    for payment in sorted(captured, key=lambda p: (p.captured_at, p.id)):
        order = orders[payment.order_id]
        tax += order.tax_amount
        clearing[payment.provider] += payment.amount
        paying.setdefault(order.id, payment.id)
        if paying[order.id] != payment.id:
            continue  # a duplicate: posted and given back in full, pending only
        account = "seller_payable" if order.id in delivered_entries else "seller_pending"
        net = order.goods_usd_amount + order.freight_usd_amount - commission[order.id]
        owed[(account, str(order.seller_id))] += net
    by_payment = {payment.id: payment for payment in captured}
    for refund in refunds:
        payment = by_payment[refund.payment_id]
        order = orders[refund.order_id]
        tax -= refund.tax_amount
        clearing[payment.provider] -= refund.amount
        if paying[order.id] != payment.id:
            continue
        account = "seller_payable" if order.id in delivered_entries else "seller_pending"
        owed[(account, str(order.seller_id))] -= (
            refund.goods_usd_amount + refund.freight_usd_amount - refund.commission_usd_amount
        )
    for payout in (await session.scalars(select(Payout))).all():
        owed[("seller_payable", str(payout.seller_id))] -= payout.amount_usd
    return {
        "unbalanced": unbalanced,
        "balances": dict(balances),
        "tax": tax,
        "clearing": dict(clearing),
        "owed": dict(owed),
    }


def check_books(target: Target, *, settled: dict[str, int] | None = None) -> dict[tuple[str, str, str], int]:
    """Assert the invariants; the accounts' balances (credit - debit) by (account, party, currency).
    `settled`: the yuan each provider converted in settlements the test posted (fen, net of refunds)."""
    read = in_db(target, _read, write=False)
    balances: dict[tuple[str, str, str], int] = read["balances"]  # type: ignore[assignment]
    assert read["unbalanced"] == []
    assert balances.get(("cbec_tax_payable", "", "CNY"), 0) == read["tax"]
    for provider, amount in read["clearing"].items():  # type: ignore[attr-defined]
        # what the provider holds for us: captured, less refunded, less the fees it took
        fees = -balances.get(("provider_fees", provider, "CNY"), 0)
        converted = (settled or {}).get(provider, 0)
        assert -balances.get(("provider_clearing", provider, "CNY"), 0) == amount - fees - converted, provider
    for (account, seller), amount in read["owed"].items():  # type: ignore[attr-defined]
        assert balances.get((account, seller, "USD"), 0) == amount, (account, seller)
    for (account, party, _currency), amount in balances.items():
        if account in ("seller_payable", "seller_pending"):
            assert read["owed"].get((account, party), 0) == amount, (account, party)  # type: ignore[attr-defined]
    return balances
