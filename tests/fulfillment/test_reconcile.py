"""A provider's daily bill checked against payments made here through local gateways that speak
Alipay's and WeChat Pay's wire formats: a bill that agrees is clean; every kind of difference is
reported exactly; fees are posted once however often a bill is imported.

Captures and refunds happen now; the tests move them to one past day (DAY) so that the bill of
that day is theirs alone, whatever a live test of the session committed today."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update

from kuajing.fulfillment.reconcile import Difference, DifferenceKind, Reconciliation, reconcile
from kuajing.kit.time import BEIJING, utcnow
from kuajing.ledger import service as ledger_service
from kuajing.models import Payment, Refund
from kuajing.payment.bills import read_bill
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.ledger.invariants import check_books
from tests.order.factories import place
from tests.payment.factories import alipay_bill, alipay_row, wechatpay_bill, wechatpay_row
from tests.payment.gateways import form_body

DAY = date(2025, 11, 11)
DAYS = (DAY, DAY)
AT = datetime(2025, 11, 11, 10, 0, 5, tzinfo=BEIJING)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Paid:
    order_id: int
    payment_id: int
    trade_no: str  # the provider's transaction number


@dataclass(frozen=True)
class Shop:
    api: object
    seller: object
    buyer: object
    wine: dict


def _shop(app, gateway) -> Shop:
    """A seller of wine ($30.00 a bottle, $5.00 shipping) and a buyer, with `gateway` offered."""
    app.with_settings(**gateway.settings)
    api = app.client
    seller = seller_with_profile(api, shipping_fee_cents=500)
    return Shop(api, seller, buyer_with_identity(api), create_product(api, seller, stock=10))


def _start(shop: Shop, provider: str) -> dict:
    """An unpaid two-bottle order (544.05 CNY) and its pending payment through `provider`."""
    placed = place(shop.api, shop.buyer, [(shop.wine["id"], 2)])
    assert placed.status_code == 201, placed.text
    started = shop.api.post(
        f"/api/v1/orders/{placed.json()['id']}/payments",
        json={"provider": provider},
        headers=shop.buyer.headers,
    )
    assert started.status_code == 201, started.text
    return started.json()


def _paid(shop: Shop, payment: dict) -> Paid:
    (stored,) = shop.api.get(
        f"/api/v1/orders/{payment['order_id']}/payments", headers=shop.buyer.headers
    ).json()["items"]
    assert stored["status"] == "captured"
    return Paid(payment["order_id"], payment["id"], stored["reference"])


def _pay_alipay(shop: Shop, alipay) -> Paid:
    payment = _start(shop, "alipay")
    alipay.fake.open(payment["redirect_url"])
    alipay.fake.pay(str(payment["id"]))
    notified = shop.api.post(
        "/api/v1/payments/alipay/notify",
        content=form_body(alipay.fake.notification(str(payment["id"]))),
        headers=FORM,
    )
    assert notified.text == "success"
    return _paid(shop, payment)


def _pay_wechatpay(shop: Shop, wechatpay) -> Paid:
    payment = _start(shop, "wechatpay")
    wechatpay.fake.pay(f"{payment['id']:06d}")
    headers, body = wechatpay.fake.notification(f"{payment['id']:06d}")
    assert (
        shop.api.post("/api/v1/payments/wechatpay/notify", content=body, headers=headers).status_code == 204
    )
    return _paid(shop, payment)


def _refund_a_bottle(shop: Shop, paid: Paid) -> dict:
    """One bottle of the two: 272.03 CNY back."""
    made = shop.api.post(
        f"/api/v1/orders/{paid.order_id}/refunds",
        json={"lines": [{"product_id": shop.wine["id"], "quantity": 1}], "reason": "一瓶破损"},
        headers=shop.seller.headers,
    )
    assert made.status_code == 201, made.text
    assert (made.json()["status"], made.json()["amount"]["amount"]) == ("succeeded", 27203)
    return made.json()


def _on_day(app, *, payments: Sequence[Paid] = (), refunds: Sequence[dict] = ()) -> None:
    """Captured (and refunded) at 10:00:05 on DAY, Beijing time."""

    async def move(session):
        await session.execute(
            update(Payment).where(Payment.id.in_([p.payment_id for p in payments])).values(captured_at=AT)
        )
        await session.execute(
            update(Refund).where(Refund.id.in_([r["id"] for r in refunds])).values(completed_at=AT)
        )

    app.run(move)


def _reconcile(app, data: bytes, *, post_fees: bool = False) -> Reconciliation:
    bill = read_bill(data)
    return app.run(lambda session: reconcile(session, bill, days=DAYS, post_fees=post_fees, now=utcnow()))


def _lines(app, account: str, party: str) -> list[tuple]:
    lines = app.run(
        lambda session: ledger_service.account_lines(
            session, account=account, party=party, after_id=0, limit=10_000
        ),
        write=False,
    )
    return [(line.key, line.kind, line.order_id, line.debit, line.credit) for line in lines]


def _balance(app, account: str, party: str) -> int:
    """Credits less debits, as check_books gives balances."""
    return sum(credit - debit for *_, debit, credit in _lines(app, account, party))


def test_an_alipay_bill_that_agrees_with_our_payments_refunds_and_ledger_is_clean(app, alipay):
    # given two orders paid through Alipay on DAY, a bottle of the first refunded
    shop = _shop(app, alipay)
    first, second = _pay_alipay(shop, alipay), _pay_alipay(shop, alipay)
    refund = _refund_a_bottle(shop, first)
    _on_day(app, payments=[first, second], refunds=[refund])
    bill = alipay_bill(
        DAY,
        [
            alipay_row(first.trade_no, str(first.payment_id), "544.05", fee="-3.26"),
            alipay_row(second.trade_no, str(second.payment_id), "544.05", fee="-3.26"),
            alipay_row(
                first.trade_no,
                str(first.payment_id),
                "272.03",
                kind="退款",
                fee="1.63",
                request_no=refund["request_no"],
            ),
        ],
    )

    # when
    result = _reconcile(app, bill)

    # then
    assert result == Reconciliation(
        provider="alipay",
        days=DAYS,
        rows=3,
        skipped=0,
        matched=3,
        differences=(),
        fees=326 + 326 - 163,
        fees_posted=0,
    )
    assert result.clean
    assert _lines(app, "provider_fees", "alipay") == []
    check_books(app)


def test_every_difference_between_the_bill_and_our_records_is_reported(app, alipay):
    # given: A paid and a bottle refunded, B paid, C started and never paid, D captured with no
    # entry in the ledger
    shop = _shop(app, alipay)
    a, b = _pay_alipay(shop, alipay), _pay_alipay(shop, alipay)
    refund = _refund_a_bottle(shop, a)
    c = _start(shop, "alipay")
    started = _start(shop, "alipay")
    # a capture written without its journal entry (the journal is append-only: it cannot be lost
    # afterwards, only never written)
    d = Paid(started["order_id"], started["id"], "2025111122001400000000000444")
    app.run(
        lambda session: session.execute(
            update(Payment)
            .where(Payment.id == d.payment_id)
            .values(status="captured", reference=d.trade_no, captured_at=AT)
        )
    )
    _on_day(app, payments=[a, b], refunds=[refund])
    stranger = "2025111122001400000000009999"
    bill = alipay_bill(
        DAY,
        [
            # A at another amount and under another transaction number; B absent; A's refund absent
            alipay_row("2025111122001400000000000777", str(a.payment_id), "544.04"),
            alipay_row(stranger, "999999", "10.00"),  # not ours
            alipay_row(stranger, str(c["id"]), "544.05"),  # ours, never captured here
            alipay_row(d.trade_no, str(d.payment_id), "544.05"),
            alipay_row(d.trade_no, str(d.payment_id), "544.05"),  # the same payment again
            alipay_row(stranger, "999999", "1.00", kind="退款", request_no="999999-0-100"),
        ],
    )

    # when
    result = _reconcile(app, bill)

    # then
    def differs(kind, our_id, provider_no, ours, theirs):
        return Difference(DifferenceKind(kind), "alipay", our_id, provider_no, ours, theirs)

    pay_a, pay_b, pay_c, pay_d = (f"payment {p}" for p in (a.payment_id, b.payment_id, c["id"], d.payment_id))
    assert result.differences == (
        differs("amount differs", pay_a, "2025111122001400000000000777", "544.05", "544.04"),
        differs(
            "trade number differs",
            pay_a,
            "2025111122001400000000000777",
            a.trade_no,
            "2025111122001400000000000777",
        ),
        differs("ledger amount differs", pay_a, "2025111122001400000000000777", "544.05", "544.04"),
        differs("missing here", "", stranger, "", "10.00"),
        differs("not captured here", pay_c, stranger, "pending", "paid"),
        differs("not in the ledger", pay_d, d.trade_no, "", "544.05"),
        differs("twice in the bill", pay_d, d.trade_no, "", "line 10"),
        differs("missing here", "", f"{stranger} (999999-0-100)", "", "1.00"),
        differs("not in the bill", pay_b, b.trade_no, "544.05", ""),
        differs("not in the bill", f"refund {refund['id']}", f"({refund['request_no']})", "272.03", ""),
    )
    assert (result.rows, result.matched, result.clean) == (6, 0, False)


def test_a_refund_row_at_another_amount_or_for_a_failed_refund_is_a_difference(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)
    refund = _refund_a_bottle(shop, paid)
    _on_day(app, payments=[paid], refunds=[refund])
    payment_row = alipay_row(paid.trade_no, str(paid.payment_id), "544.05")
    refund_no = f"{paid.trade_no} ({refund['request_no']})"

    def refund_row(amount):
        return alipay_row(
            paid.trade_no, str(paid.payment_id), amount, kind="退款", request_no=refund["request_no"]
        )

    assert _reconcile(app, alipay_bill(DAY, [payment_row, refund_row("272.03")])).clean
    differs = _reconcile(app, alipay_bill(DAY, [payment_row, refund_row("272.30")]))
    assert differs.differences == (
        Difference(
            DifferenceKind.amount_differs, "alipay", f"refund {refund['id']}", refund_no, "272.03", "272.30"
        ),
        Difference(
            DifferenceKind.ledger_differs, "alipay", f"refund {refund['id']}", refund_no, "272.03", "272.30"
        ),
    )
    assert differs.matched == 1

    app.run(
        lambda session: session.execute(
            update(Refund).where(Refund.id == refund["id"]).values(status="failed")
        )
    )
    failed = _reconcile(app, alipay_bill(DAY, [payment_row, refund_row("272.03")]))
    assert failed.differences == (
        Difference(
            DifferenceKind.refund_failed_here,
            "alipay",
            f"refund {refund['id']}",
            refund_no,
            "failed",
            "refunded",
        ),
    )


def test_fees_are_posted_once_however_often_the_bill_is_imported(app, alipay):
    # given two payments and a refund on DAY, the books right before any fee
    shop = _shop(app, alipay)
    first, second = _pay_alipay(shop, alipay), _pay_alipay(shop, alipay)
    refund = _refund_a_bottle(shop, first)
    _on_day(app, payments=[first, second], refunds=[refund])
    before = check_books(app)
    bill = alipay_bill(
        DAY,
        [
            alipay_row(first.trade_no, str(first.payment_id), "544.05", fee="-3.26"),
            alipay_row(second.trade_no, str(second.payment_id), "544.05", fee="-3.27"),
            alipay_row(
                first.trade_no,
                str(first.payment_id),
                "272.03",
                kind="退款",
                fee="1.63",
                request_no=refund["request_no"],
            ),
            alipay_row(
                "2025111122001400000000009999", "999999", "10.00", fee="-0.06"
            ),  # not ours: still charged
        ],
    )

    # when the bill is imported twice with its fees
    once = _reconcile(app, bill, post_fees=True)
    twice = _reconcile(app, bill, post_fees=True)

    # then each fee is posted once, against the order it was charged on
    assert (once.fees, once.fees_posted, twice.fees_posted) == (326 + 327 - 163 + 6, 4, 0)
    assert _lines(app, "provider_fees", "alipay") == [
        (f"fee:alipay:{first.trade_no}", "provider_fee", first.order_id, 326, 0),
        (f"fee:alipay:{second.trade_no}", "provider_fee", second.order_id, 327, 0),
        (f"fee:alipay:{first.trade_no}:{refund['request_no']}", "provider_fee", first.order_id, 0, 163),
        ("fee:alipay:2025111122001400000000009999", "provider_fee", None, 6, 0),
    ]
    # what Alipay holds for us is less the fees; nothing else moved
    fees = 326 + 327 - 163 + 6
    assert (
        _balance(app, "provider_fees", "alipay") == before.get(("provider_fees", "alipay", "CNY"), 0) - fees
    )
    assert (
        _balance(app, "provider_clearing", "alipay") == before[("provider_clearing", "alipay", "CNY")] + fees
    )
    trial = app.run(ledger_service.trial_balance, write=False)
    assert sum(row.debit for row in trial if row.currency == "CNY") == sum(
        row.credit for row in trial if row.currency == "CNY"
    )
    check_books(app)  # the clearing account less the fees still matches the payments
    # the differences are still reported
    assert (
        once.differences
        == twice.differences
        == (
            Difference(
                DifferenceKind.missing_here, "alipay", "", "2025111122001400000000009999", "", "10.00"
            ),
        )
    )


def test_a_wechat_pay_bill_with_zero_padded_numbers_agrees_and_posts_its_fees(app, wechatpay):
    shop = _shop(app, wechatpay)
    paid = _pay_wechatpay(shop, wechatpay)
    refund = _refund_a_bottle(shop, paid)
    _on_day(app, payments=[paid], refunds=[refund])
    out_trade_no = f"{paid.payment_id:06d}"
    bill = wechatpay_bill(
        [
            wechatpay_row(paid.trade_no, out_trade_no, "544.05", fee="3.26430", at="2025-11-11 10:00:05"),
            wechatpay_row(
                paid.trade_no,
                out_trade_no,
                "272.03",
                status="REFUND",
                fee="1.63218",
                refund_id=refund["reference"],
                out_refund_no=refund["request_no"],
                at="2025-11-11 10:00:05",
            ),
        ]
    )

    result = _reconcile(app, bill, post_fees=True)

    assert result == Reconciliation(
        provider="wechatpay",
        days=DAYS,
        rows=2,
        skipped=0,
        matched=2,
        differences=(),
        fees=326 - 163,
        fees_posted=2,
    )
    assert _lines(app, "provider_fees", "wechatpay") == [
        (f"fee:wechatpay:{paid.trade_no}", "provider_fee", paid.order_id, 326, 0),
        (f"fee:wechatpay:{paid.trade_no}:{refund['request_no']}", "provider_fee", paid.order_id, 0, 163),
    ]


def test_a_wechat_pay_row_naming_a_payment_made_through_alipay_is_missing_here(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)
    _on_day(app, payments=[paid])
    bill = wechatpay_bill(
        [wechatpay_row(paid.trade_no, f"{paid.payment_id:06d}", "544.05", at="2025-11-11 10:00:05")]
    )

    result = _reconcile(app, bill)

    assert result.differences == (
        Difference(
            DifferenceKind.missing_here,
            "wechatpay",
            f"payment {paid.payment_id}",
            paid.trade_no,
            "through alipay",
            "544.05",
        ),
    )
