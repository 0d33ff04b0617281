"""Paying sellers in dollars. An order's dollars become payable when it is delivered and
available once its return window has closed; a payout run pays every seller whose available
balance reaches the minimum, one payout each, attributed order by order (a refund after an
earlier payout shows as a negative line and is netted), posted to the ledger, and handed to
the payout rail — by default a CSV file for the operator's bank.

A seller's statement lists each order of a payout with its goods, freight, commission and
refunds in dollars, so the seller can check every cent.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.kit.money import minor_text
from kuajing.kit.spreadsheet import safe_cell
from kuajing.ledger import postings, repository
from kuajing.ledger.service import post
from kuajing.models import Payout, PayoutBatch
from kuajing.order.return_window import RETURN_WINDOW


@dataclass(frozen=True, slots=True)
class StatementLine:
    order_id: int
    delivered_at: datetime | None
    goods_usd: int
    freight_usd: int
    commission_usd: int
    refunded_usd: int  # goods + freight refunded, less the commission given back
    paid_before_usd: int  # paid out for this order in earlier payouts
    amount_usd: int  # what this payout pays for the order


@dataclass(frozen=True, slots=True)
class Statement:
    payout_id: int
    batch_id: int
    seller_id: int
    seller_name: str
    created_at: datetime
    lines: tuple[StatementLine, ...]

    @property
    def total_usd(self) -> int:
        return sum(line.amount_usd for line in self.lines)


class PayoutRail(Protocol):
    """How the money reaches sellers' banks."""

    name: str

    def export(self, batch: PayoutBatch, payouts: Sequence[tuple[Payout, str]]) -> tuple[str, bytes]:
        """The file (name, bytes) the operator hands to the bank for `payouts` (with each
        seller's legal name)."""
        ...


class BankFileRail:
    """A CSV the operator uploads to the platform's bank: one credit transfer per seller."""

    name = "bank_file"

    def export(self, batch: PayoutBatch, payouts: Sequence[tuple[Payout, str]]) -> tuple[str, bytes]:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["payout_id", "seller_id", "beneficiary", "amount", "currency", "reference"])
        for payout, name in payouts:
            writer.writerow(
                [
                    payout.id,
                    payout.seller_id,
                    safe_cell(name),
                    minor_text(payout.amount_usd),
                    "USD",
                    f"KUAJING PAYOUT {payout.id} BATCH {batch.id}",
                ]
            )
        return f"kuajing-payouts-batch-{batch.id}.csv", text.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class BatchResult:
    batch: PayoutBatch | None  # None: no seller reached the minimum, nothing was written
    payouts: tuple[Payout, ...]
    skipped_below_minimum: int  # sellers with something available, under the minimum
    file_name: str
    file: bytes


async def run_payouts(
    session: AsyncSession, *, now: datetime, minimum_usd: int, actor_id: int | None, rail: PayoutRail
) -> BatchResult:
    """One batch: every seller whose available dollars reach `minimum_usd` is paid them. When no
    seller does, no batch is written."""
    await repository.lock_payout_runs(session)
    available = await repository.available_by_order(session, delivered_before=now - RETURN_WINDOW)
    by_seller: dict[int, list[tuple[int, int]]] = {}
    for seller_id, order_id, amount in available:
        by_seller.setdefault(seller_id, []).append((order_id, amount))
    due = {
        seller_id: orders
        for seller_id, orders in sorted(by_seller.items())
        if sum(amount for _order, amount in orders) >= max(minimum_usd, 1)
    }
    skipped = len(by_seller) - len(due)
    if not due:
        return BatchResult(None, (), skipped, "", b"")
    batch = await repository.add_batch(
        session,
        PayoutBatch(
            created_at=now,
            created_by=actor_id,
            rail=rail.name,
            minimum_usd_amount=minimum_usd,
            payouts=0,
            total_usd_amount=0,
        ),
    )
    made: list[Payout] = []
    for seller_id, orders in due.items():
        total = sum(amount for _order, amount in orders)
        payout = await repository.add_payout(
            session,
            Payout(batch_id=batch.id, seller_id=seller_id, amount_usd=total, created_at=now),
            lines=[(order_id, amount) for order_id, amount in orders if amount],
        )
        await post(
            session, postings.payout(payout_id=payout.id, seller_id=seller_id, amount_usd=total), now=now
        )
        made.append(payout)
    batch.payouts = len(made)
    batch.total_usd_amount = sum(payout.amount_usd for payout in made)
    await session.flush()
    file_name, file = await bank_file(session, batch, rail)
    return BatchResult(batch, tuple(made), skipped, file_name, file)


async def bank_file(session: AsyncSession, batch: PayoutBatch, rail: PayoutRail) -> tuple[str, bytes]:
    """The batch's file for the bank (made again the same from the stored payouts)."""
    made = await repository.payouts_of_batch(session, batch.id)
    names = await repository.seller_names(session, [payout.seller_id for payout in made])
    return rail.export(batch, [(payout, names.get(payout.seller_id, "")) for payout in made])


async def statement(session: AsyncSession, *, payout_id: int) -> Statement | None:
    payout = await repository.find_payout(session, payout_id)
    if payout is None:
        return None
    rows = await repository.statement_rows(session, payout_id=payout_id)
    names = await repository.seller_names(session, [payout.seller_id])
    return Statement(
        payout_id=payout.id,
        batch_id=payout.batch_id,
        seller_id=payout.seller_id,
        seller_name=names.get(payout.seller_id, ""),
        created_at=payout.created_at,
        lines=tuple(StatementLine(**row) for row in rows),
    )


def statement_csv(found: Statement) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(
        [
            "order_id",
            "delivered_at",
            "goods_usd",
            "freight_usd",
            "commission_usd",
            "refunded_usd",
            "paid_before_usd",
            "amount_usd",
        ]
    )

    for line in found.lines:
        writer.writerow(
            [
                line.order_id,
                line.delivered_at.isoformat() if line.delivered_at else "",
                minor_text(line.goods_usd),
                minor_text(line.freight_usd),
                minor_text(line.commission_usd),
                minor_text(line.refunded_usd),
                minor_text(line.paid_before_usd),
                minor_text(line.amount_usd),
            ]
        )
    writer.writerow(["total", "", "", "", "", "", "", minor_text(found.total_usd)])
    return text.getvalue().encode("utf-8")


async def payouts_of_seller(session: AsyncSession, *, seller_id: int) -> Sequence[Payout]:
    return await repository.payouts_of_seller(session, seller_id)


async def batches(session: AsyncSession, *, limit: int = 50) -> Sequence[PayoutBatch]:
    return await repository.batches(session, limit)


async def find_batch(session: AsyncSession, batch_id: int) -> PayoutBatch | None:
    return await repository.find_batch(session, batch_id)
