"""Refunds of paid orders: some units of some lines, or everything left, for a cancellation
after payment, a return, or a payment that arrived for an order that could no longer take it.

Each refunded line gives back its goods, its share of the freight and its share of each tax,
to the fen; shares are differences of cumulative shares, so the refunds of a whole order add
up to exactly what it paid. The lines' refunded units and the payment's refunded amount are
guarded counters: two racing refunds of the same units (or of more than was paid) pay once.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.catalog import stock
from kuajing.compliance import year
from kuajing.customs import service as customs_service
from kuajing.errors import Conflict, Forbidden, InvalidInput
from kuajing.fulfillment.service import FulfillmentContext
from kuajing.kit.time import utcnow
from kuajing.ledger import commission as commission_math
from kuajing.ledger import service as ledger_service
from kuajing.models import Order, OrderLine, Payment, Refund, Role
from kuajing.order import service as order_service
from kuajing.order.service import Viewer
from kuajing.order.status import OrderStatus
from kuajing.payment import service as payment_service

# Orders whose payment can be refunded by the seller or an operator.
REFUNDABLE = frozenset(
    {
        OrderStatus.paid,
        OrderStatus.shipped,
        OrderStatus.delivered,
        OrderStatus.return_requested,
        OrderStatus.return_rejected,
    }
)


class NothingToRefund(Conflict):
    code = "nothing_to_refund"


class RefundQuantityExceeded(Conflict):
    code = "refund_quantity_exceeded"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a refund gives back, and of which lines."""

    quantities: dict[int, int]  # order line id -> units refunded now
    goods: int
    freight: int
    tax: int
    goods_usd: int
    freight_usd: int
    commission_usd: int

    @property
    def amount(self) -> int:
        return self.goods + self.freight + self.tax

    def parts(self, *, dutiable: bool) -> dict[str, int]:
        return {
            "amount": self.amount,
            "goods_amount": self.goods,
            "freight_amount": self.freight,
            "tax_amount": self.tax,
            "dutiable_amount": self.goods + self.freight if dutiable else 0,
            "goods_usd_amount": self.goods_usd,
            "freight_usd_amount": self.freight_usd,
            "commission_usd_amount": self.commission_usd,
        }


def plan(
    order: Order,
    quantities: Mapping[int, int],
    commissions: Mapping[int, int],
    before: Mapping[int, int] | None = None,
) -> Plan:
    """The refund of `quantities` (line id -> units) after the units each line had refunded
    before (`before`, else each line's `refunded_quantity`). Pure."""
    freight_usd = ledger_service.freight_usd_by_line(order)
    before_by_line = before
    goods = freight = tax = goods_usd = freight_usd_total = commission = 0
    for line in order.lines:
        taking = quantities.get(line.id, 0)
        if not taking:
            continue
        whole = line.quantity
        done = line.refunded_quantity if before_by_line is None else before_by_line[line.id]

        def part(amount: int, done: int = done, taking: int = taking, whole: int = whole) -> int:
            return commission_math.slice_of(amount, before=done, taking=taking, whole=whole)

        goods += part(line.goods_amount)
        freight += part(line.freight_amount)
        tax += part(line.consumption_tax_amount) + part(line.vat_amount) + part(line.tariff_amount)
        goods_usd += line.unit_price_usd_amount * taking
        freight_usd_total += part(freight_usd[line.id])
        commission += part(commissions[line.id])
    return Plan(
        quantities={line_id: q for line_id, q in quantities.items() if q},
        goods=goods,
        freight=freight,
        tax=tax,
        goods_usd=goods_usd,
        freight_usd=freight_usd_total,
        commission_usd=commission,
    )


def _named_line(sold: Mapping[int, OrderLine], product_id: int, variant_id: int | None) -> OrderLine | None:
    """The line of a product without options (its id as product, and as variant if given), or of
    the named product's variant; None for a variant of another product, or a variant's id given
    as a product's."""
    if variant_id is None or variant_id == product_id:
        line = sold.get(product_id)
        return line if line is not None and line.variant_of is None else None
    line = sold.get(variant_id)
    return line if line is not None and line.variant_of == product_id else None


def _by_line(order: Order, by_product: Mapping[tuple[int, int | None], int] | None) -> dict[int, int]:
    """(product id, variant id or None) and units -> line ids and units; everything not yet
    refunded when None. A product with options names its line alone when the order holds one of
    its variants; a variant is refused unless it is the named product's."""
    if by_product is None:
        return {line.id: line.quantity - line.refunded_quantity for line in order.lines}
    sold = {line.product_id: line for line in order.lines}
    of_product: dict[int, list[OrderLine]] = {}
    for each in order.lines:
        if each.variant_of is not None:
            of_product.setdefault(each.variant_of, []).append(each)
    found: dict[int, int] = {}
    unknown: list[str] = []
    for (product_id, variant_id), quantity in by_product.items():
        line = _named_line(sold, product_id, variant_id)
        if line is None and variant_id is None and product_id in of_product:
            if len(of_product[product_id]) > 1:
                raise InvalidInput(
                    "variant_required",
                    f"Order {order.id} holds {len(of_product[product_id])} variants of product {product_id}: "
                    "name the variant_id of each line to refund.",
                )
            line = of_product[product_id][0]
        if line is None:
            unknown.append(f"{product_id}" if variant_id is None else f"{product_id} (variant {variant_id})")
            continue
        if line.id in found:
            raise InvalidInput("refund_line_repeated", f"The line of product {product_id} is named twice.")
        if quantity > line.quantity - line.refunded_quantity:
            raise RefundQuantityExceeded(
                message=f"Product {product_id}: {line.quantity - line.refunded_quantity} of "
                f"{line.quantity} units are left to refund, not {quantity}."
            )
        found[line.id] = quantity
    if unknown:
        raise InvalidInput(
            "refund_line_unknown", f"Order {order.id} has no line for product {', '.join(unknown)}."
        )
    return found


async def _paying(session: AsyncSession, order: Order) -> Payment:
    """The payment that paid the order (never a duplicate given back)."""
    payment = (
        await payment_service.find(session, order.paid_by_payment_id) if order.paid_by_payment_id else None
    )
    if payment is None or payment.status != "captured":
        raise Conflict("payment_missing", f"Order {order.id} has no captured payment to refund.")
    return payment


async def left_to_refund(session: AsyncSession, order: Order) -> Plan:
    """The refund of everything the order's payment has not given back yet."""
    payment = await _paying(session, order)
    commissions = await ledger_service.line_commissions(
        session, order, on=payment.captured_at or payment.created_at
    )
    return plan(order, _by_line(order, None), commissions)


async def refund_lines(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    order: Order,
    by_product: Mapping[tuple[int, int | None], int] | None,
    reason: str,
    actor_id: int | None,
    now: datetime,
) -> Refund:
    """Record the refund of units of the order's lines (everything left when `by_product` is
    None) from the payment that paid it: the lines' units counted, the buyer's yearly room given
    back by the dutiable value refunded, the ledger reversed for the share. The caller asks the
    provider last, with `send`."""
    # the order's row first, as a delivery takes it: whether the seller's dollars are pending or
    # payable is decided with no delivery half done
    await order_service.lock(session, order_id=order.id)
    order = await order_service.reload(session, order.id)
    payment = await _paying(session, order)
    quantities = _by_line(order, by_product)
    if not any(quantities.values()):
        raise NothingToRefund(message=f"Every unit of order {order.id} has been refunded already.")
    commissions = await ledger_service.line_commissions(session, order, on=payment.captured_at or now)
    refund_plan = plan(order, quantities, commissions)
    for line_id, quantity in sorted(refund_plan.quantities.items()):
        if not await order_service.take_refunded(session, line_id=line_id, quantity=quantity):
            raise RefundQuantityExceeded(
                message="Another refund took these units first; nothing was changed."
            )
    fully = all(line.refunded_quantity + quantities.get(line.id, 0) == line.quantity for line in order.lines)
    await year.give_back(
        session,
        id_number=order.buyer_id_number,
        year=order.limit_year,
        dutiable=refund_plan.goods + refund_plan.freight,
        # capped quantities go back with the whole order only (they are kept per order, not line)
        capped=order.capped_quantities if fully else {},
    )
    # a payment captured before the ledger existed (migration 0009) gets its capture entry now,
    # so its refund reverses something (posted once: a no-op for every later payment)
    await ledger_service.post_capture(session, order=order, payment=payment, now=payment.captured_at or now)
    refund = await payment_service.add_refund(
        session,
        payment=payment,
        parts=refund_plan.parts(dutiable=True)
        | {
            "lines": [
                {"product_id": line.product_id, "quantity": quantities[line.id]}
                | ({"variant_of": line.variant_of} if line.variant_of is not None else {})
                for line in order.lines
                if quantities.get(line.id)
            ]
        },
        reason=reason,
        requested_by=actor_id,
        now=now,
    )
    await ledger_service.post_refund(
        session,
        refund=refund,
        order=order,
        payment=payment,
        delivered=await ledger_service.delivered(session, order_id=order.id),
        now=now,
    )
    return refund


async def send(
    session: AsyncSession, context: FulfillmentContext, *, refund: Refund, now: datetime
) -> Refund:
    """Ask the provider for a refund recorded by `refund_lines`: every caller's last step, so
    nothing of its transaction but the record of the answer is written after the provider paid."""
    payment = await payment_service.find(session, refund.payment_id)
    assert payment is not None
    return await payment_service.send_refund(
        session, context.providers, refund=refund, payment=payment, now=now
    )


async def refund_duplicate(
    session: AsyncSession, context: FulfillmentContext, *, order: Order, payment: Payment, now: datetime
) -> Refund:
    """Give back in full a payment captured for an order that did not take it (paid by another
    payment, expired or cancelled; its capture posted by the caller): the capture's entry is
    reversed; no units or yearly room move, for the payment held none."""
    commissions = await ledger_service.line_commissions(session, order, on=payment.captured_at or now)
    refund = await payment_service.add_refund(
        session,
        payment=payment,
        parts={
            "amount": payment.amount,
            "goods_amount": order.goods_amount,
            "freight_amount": order.freight_amount,
            "tax_amount": order.tax_amount,
            "dutiable_amount": 0,
            "goods_usd_amount": order.goods_usd_amount,
            "freight_usd_amount": order.freight_usd_amount,
            "commission_usd_amount": sum(commissions.values()),
        },
        reason=f"order {order.id} is {order.status}: this payment is returned",
        requested_by=None,
        now=now,
    )
    await ledger_service.post_refund(
        session,
        refund=refund,
        order=order,
        payment=payment,
        delivered=False,
        now=now,
    )
    return await send(session, context, refund=refund, now=now)


async def refund_order(
    session: AsyncSession,
    context: FulfillmentContext,
    *,
    order_id: int,
    viewer: Viewer,
    by_product: Mapping[tuple[int, int | None], int] | None,
    reason: str,
    now: datetime | None = None,
) -> Refund:
    """POST /orders/{id}/refunds: the owning seller or an operator refunds some lines (or all that
    is left). A paid order refunded in full before it ships is cancelled, and its customs
    messages held."""
    now = now or utcnow()
    if viewer.role == Role.buyer:
        raise Forbidden(
            "not_allowed", "The seller of the order or an operator refunds it; buyers ask for a return."
        )
    order = await order_service.get_order(session, order_id=order_id, viewer=viewer)
    if order.status not in REFUNDABLE:
        raise Conflict("order_not_refundable", f"An order that is {order.status} has no payment to refund.")
    refund = await refund_lines(
        session, context, order=order, by_product=by_product, reason=reason, actor_id=viewer.user_id, now=now
    )
    order = await order_service.reload(session, order_id)
    if (
        order.status == OrderStatus.paid
        and all(line.refunded_quantity == line.quantity for line in order.lines)
        and await order_service.transition(
            session,
            order=order,
            to=OrderStatus.cancelled,
            actor_id=viewer.user_id,
            reason=f"refunded in full before shipping: {reason}"[:200],
            now=now,
        )
    ):
        await customs_service.hold_for_return(session, order_id=order.id, actor_id=viewer.user_id, now=now)
        # the goods never left: back on sale
        await stock.give_back(
            session, context.products, lines=[(line.product_id, line.quantity) for line in order.lines]
        )
    return await send(session, context, refund=refund, now=now)


async def undo_failed(session: AsyncSession, *, refund: Refund, detail: str, now: datetime) -> bool:
    """A refund the provider accepted and then did not carry out (WeChat Pay's CLOSED or
    ABNORMAL): the refund fails, its amount and units count as refunded no more, and its entry
    is reversed by a new one, so they can be refunded again. The buyer's yearly room it gave
    back stays given back (a person's room is never taken without an order)."""
    await order_service.lock(session, order_id=refund.order_id)
    if not await payment_service.fail_refund(session, refund=refund, detail=detail, now=now):
        return False
    order = await order_service.reload(session, refund.order_id)
    by_product = {line["product_id"]: line["quantity"] for line in refund.lines or []}
    for line in order.lines:
        if by_product.get(line.product_id):
            await order_service.give_back_refunded(
                session, line_id=line.id, quantity=by_product[line.product_id]
            )
    await ledger_service.reverse(
        session,
        key=f"refund:{refund.id}",
        as_key=f"refund_failed:{refund.id}",
        kind="refund_failed",
        memo=f"refund {refund.id} of order {refund.order_id} failed at the provider: {detail}"[:300],
        now=now,
    )
    return True
