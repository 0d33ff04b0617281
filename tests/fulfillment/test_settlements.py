"""A provider's dollar settlement posted to the books, against payments made here through a
local gateway that speaks Alipay's wire format: the yuan converted leave clearing, the dollars
paid reach the bank, the fee is an expense, and the provider's rate against the order's is FX
gain or loss, to the cent; rows that disagree are reported and not posted; a file imported
twice posts once."""

from kuajing.fulfillment.reconcile import Difference, DifferenceKind
from kuajing.fulfillment.settlements import SettlementReport, settle, summary
from kuajing.ledger import service as ledger_service
from kuajing.payment.settlements import read_settlement
from tests.fulfillment.test_reconcile import (
    DAY,
    _balance,
    _on_day,
    _pay_alipay,
    _reconcile,
    _refund_a_bottle,
    _shop,
    _start,
)
from tests.ledger.invariants import check_books
from tests.payment.factories import alipay_bill, alipay_row, settlement_file, settlement_row


def _settle(app, data: bytes) -> SettlementReport:
    settlement = read_settlement(data)
    return app.run(lambda session: settle(session, settlement))


def _entry(app, order_id: int, key: str) -> list[tuple]:
    lines = app.run(lambda session: ledger_service.order_lines(session, order_id=order_id), write=False)
    return [(x.account, x.party, x.currency, x.debit, x.credit) for x in lines if x.key == key]


def test_a_settlement_in_dollars_posts_the_fx_gain_or_loss_against_each_orders_rate(app, alipay):
    # given two orders of 544.05 CNY priced at 7.1000 (booked $76.63 each), a bottle of the first
    # refunded (272.03 CNY, booked $38.31)
    shop = _shop(app, alipay)
    first, second = _pay_alipay(shop, alipay), _pay_alipay(shop, alipay)
    refund = _refund_a_bottle(shop, first)
    # Alipay converts the first at 7.08 (more dollars: a gain), the second at 7.20 (a loss)
    data = settlement_file(
        [
            settlement_row(
                str(first.payment_id),
                first.trade_no,
                amount="76.84",
                rmb="544.05",
                fee="0.77",
                settled="76.07",
                rate="7.08",
            ),
            settlement_row(
                str(second.payment_id),
                second.trade_no,
                amount="75.56",
                rmb="544.05",
                fee="0.76",
                settled="74.80",
                rate="7.20",
            ),
            settlement_row(
                refund["request_no"],
                first.trade_no,
                amount="38.42",
                rmb="272.03",
                fee="0.00",
                settled="38.42",
                rate="7.08",
                kind="R",
            ),
        ]
    )

    # when
    report = _settle(app, data)

    # then
    assert report == SettlementReport(
        provider="alipay",
        rows=3,
        skipped=0,
        posted=3,
        already=0,
        differences=(),
        rmb=54405 + 54405 - 27203,
        settled_usd=7607 + 7480 - 3842,
        fees_usd=77 + 76,
        gain_usd=(7607 + 77 - 7663) + (7480 + 76 - 7663) - (3842 - 3831),
    )
    assert report.gain_usd == -97
    assert summary(report) == (
        "3 rows read, 3 posted, 0 posted before, 0 differences, posted now: 816.07 CNY converted, "
        "112.45 USD paid, fees 1.53 USD, FX loss 0.97 USD"
    )
    assert _entry(app, first.order_id, f"settle:alipay:payment:{first.payment_id}") == [
        ("provider_clearing", "alipay", "CNY", 0, 54405),
        ("fx_conversion", "", "CNY", 54405, 0),
        ("fx_conversion", "", "USD", 0, 7663),
        ("payout_bank", "", "USD", 7607, 0),
        ("provider_fees", "alipay", "USD", 77, 0),
        ("fx_gain_loss", "", "USD", 0, 21),
    ]
    assert _entry(app, second.order_id, f"settle:alipay:payment:{second.payment_id}")[-1] == (
        "fx_gain_loss",
        "",
        "USD",
        107,
        0,
    )
    assert _entry(app, first.order_id, f"settle:alipay:refund:{refund['id']}") == [
        ("provider_clearing", "alipay", "CNY", 27203, 0),
        ("fx_conversion", "", "CNY", 0, 27203),
        ("fx_conversion", "", "USD", 3831, 0),
        ("payout_bank", "", "USD", 0, 3842),
        ("fx_gain_loss", "", "USD", 11, 0),
    ]
    assert _balance(app, "fx_gain_loss", "") == -97
    assert _balance(app, "payout_bank", "") == -(7607 + 7480 - 3842)
    assert _balance(app, "provider_clearing", "alipay") == 0  # all it held was settled
    balances = check_books(app, settled={"alipay": 54405 + 54405 - 27203})
    assert balances[("provider_fees", "alipay", "USD")] == -153

    # the same file again posts nothing
    again = _settle(app, data)
    assert (again.posted, again.already, again.differences, again.rmb, again.gain_usd) == (0, 3, (), 0, 0)
    assert _balance(app, "fx_gain_loss", "") == -97


def test_rows_that_disagree_with_our_records_are_reported_and_not_posted(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)
    unpaid = _start(shop, "alipay")
    stranger = "2025111122001400000000009999"
    good = settlement_row(
        str(paid.payment_id),
        paid.trade_no,
        amount="76.84",
        rmb="544.05",
        fee="0.77",
        settled="76.07",
        rate="7.08",
    )
    data = settlement_file(
        [
            settlement_row(
                "999999", stranger, amount="1.00", rmb="7.08", fee="0.00", settled="1.00", rate="7.08"
            ),
            settlement_row(
                str(unpaid["id"]),
                stranger,
                amount="76.84",
                rmb="544.05",
                fee="0.77",
                settled="76.07",
                rate="7.08",
            ),
            settlement_row(
                str(paid.payment_id),
                stranger,
                amount="76.83",
                rmb="544.04",
                fee="0.77",
                settled="76.06",
                rate="7.08",
            ),
            settlement_row(
                "999999-0-100",
                stranger,
                amount="0.14",
                rmb="1.00",
                fee="0.00",
                settled="0.14",
                rate="7.08",
                kind="R",
            ),
        ]
    )

    report = _settle(app, data)

    def differs(kind, our_id, provider_no, ours, theirs):
        return Difference(DifferenceKind(kind), "alipay", our_id, provider_no, ours, theirs)

    ours = f"payment {paid.payment_id}"
    assert report.differences == (
        differs("missing here", "", f"{stranger} (999999)", "", "7.08"),
        differs(
            "not captured here",
            f"payment {unpaid['id']}",
            f"{stranger} ({unpaid['id']})",
            "pending",
            "settled",
        ),
        differs("amount differs", ours, f"{stranger} ({paid.payment_id})", "544.05", "544.04"),
        differs("trade number differs", ours, f"{stranger} ({paid.payment_id})", paid.trade_no, stranger),
        differs("missing here", "", f"{stranger} (999999-0-100)", "", "1.00"),
    )
    assert (report.posted, report.rmb, report.gain_usd, report.clean) == (0, 0, 0, False)
    assert _balance(app, "fx_gain_loss", "") == 0
    check_books(app)

    # the same payment settled right is posted; listed twice, the second is a difference
    twice = _settle(app, settlement_file([good, good]))
    assert (twice.posted, len(twice.differences), twice.differences[0].kind) == (
        1,
        1,
        DifferenceKind.twice_in_bill,
    )
    check_books(app, settled={"alipay": 54405})


def test_a_yuan_fee_posted_from_the_daily_bill_is_replaced_by_the_settlements_dollar_fee(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)
    _on_day(app, payments=[paid])
    bill = alipay_bill(DAY, [alipay_row(paid.trade_no, str(paid.payment_id), "544.05", fee="-3.26")])
    assert _reconcile(app, bill, post_fees=True).fees_posted == 1
    assert _balance(app, "provider_clearing", "alipay") == -(54405 - 326)

    _settle(
        app,
        settlement_file(
            [
                settlement_row(
                    str(paid.payment_id),
                    paid.trade_no,
                    amount="76.84",
                    rmb="544.05",
                    fee="0.77",
                    settled="76.07",
                    rate="7.08",
                )
            ]
        ),
    )

    assert _entry(app, paid.order_id, f"settle:alipay:payment:{paid.payment_id}")[-2:] == [
        ("provider_clearing", "alipay", "CNY", 326, 0),
        ("provider_fees", "alipay", "CNY", 0, 326),
    ]
    assert _balance(app, "provider_clearing", "alipay") == 0
    balances = check_books(app, settled={"alipay": 54405})
    assert balances[("provider_fees", "alipay", "CNY")] == 0
    assert balances[("provider_fees", "alipay", "USD")] == -77


def test_settled_books_export_to_beancount_and_load_without_errors(app, alipay, tmp_path):
    from beancount import loader

    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)
    _settle(
        app,
        settlement_file(
            [
                settlement_row(
                    str(paid.payment_id),
                    paid.trade_no,
                    amount="75.56",
                    rmb="544.05",
                    fee="0.76",
                    settled="74.80",
                    rate="7.20",
                )
            ]
        ),
    )
    path = tmp_path / "kuajing.beancount"

    async def write(session):
        with path.open("w", encoding="utf-8") as file:
            return await ledger_service.write_beancount(session, file)

    app.run(write, write=False)
    entries, errors, _options = loader.load_file(str(path))
    assert errors == []
    (settled,) = [e for e in entries if getattr(e, "meta", {}).get("kind") == "settlement"]
    postings = {(p.account, p.units.currency): str(p.units.number) for p in settled.postings}
    assert postings == {
        ("Assets:Kuajing:ProviderClearing:Alipay", "CNY"): "-544.05",
        ("Equity:Kuajing:FxConversion", "CNY"): "544.05",
        ("Equity:Kuajing:FxConversion", "USD"): "-76.63",
        ("Assets:Kuajing:PayoutBank", "USD"): "74.80",
        ("Expenses:Kuajing:ProviderFees:Alipay", "USD"): "0.76",
        ("Income:Kuajing:FxGainLoss", "USD"): "1.07",  # a loss: Beancount shows it positive
    }


def _row(paid, **changes):
    values = dict(amount="76.84", rmb="544.05", fee="0.77", settled="76.07", rate="7.08")
    values |= changes
    reference = values.pop("reference", str(paid.payment_id))
    return settlement_row(reference, paid.trade_no, **values)


def test_a_payment_named_twice_however_written_is_settled_once(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)

    first = _settle(app, settlement_file([_row(paid), _row(paid, reference=f"{paid.payment_id:06d}")]))
    again = _settle(app, settlement_file([_row(paid, reference=f"{paid.payment_id:06d}")]))

    assert (first.posted, [d.kind for d in first.differences]) == (1, [DifferenceKind.twice_in_bill])
    assert (again.posted, again.already) == (0, 1)
    assert _balance(app, "payout_bank", "") == -7607
    check_books(app, settled={"alipay": 54405})


def test_a_row_that_does_not_add_up_is_reported_and_not_posted(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)

    report = _settle(
        app,
        settlement_file(
            [
                _row(paid, settled="76.84"),  # paid the whole amount and kept a fee as well
                _row(paid, amount="80.00", settled="79.23"),  # not 544.05 CNY at 7.08
            ]
        ),
    )

    assert [(d.kind, d.ours, d.theirs) for d in report.differences] == [
        (DifferenceKind.does_not_add_up, "544.05 CNY / 7.08 = 76.84", "76.84 + 0.77 fee, of 76.84"),
        (DifferenceKind.does_not_add_up, "544.05 CNY / 7.08 = 76.84", "79.23 + 0.77 fee, of 80.00"),
    ]
    assert report.posted == 0
    check_books(app)


def test_a_refunds_fee_comes_back_and_a_bill_after_the_settlement_posts_no_yuan_fee(app, alipay):
    shop = _shop(app, alipay)
    paid = _pay_alipay(shop, alipay)
    refund = _refund_a_bottle(shop, paid)
    _on_day(app, payments=[paid], refunds=[refund])
    settled = _settle(
        app,
        settlement_file(
            [
                _row(paid),
                settlement_row(
                    refund["request_no"],
                    paid.trade_no,
                    amount="38.42",
                    rmb="272.03",
                    fee="0.38",
                    settled="38.04",
                    rate="7.08",
                    kind="R",
                ),
            ]
        ),
    )
    assert (settled.posted, settled.fees_usd, settled.settled_usd) == (2, 77 - 38, 7607 - 3804)
    assert _entry(app, paid.order_id, f"settle:alipay:refund:{refund['id']}") == [
        ("provider_clearing", "alipay", "CNY", 27203, 0),
        ("fx_conversion", "", "CNY", 0, 27203),
        ("fx_conversion", "", "USD", 3831, 0),
        ("payout_bank", "", "USD", 0, 3804),
        ("provider_fees", "alipay", "USD", 0, 38),
        ("fx_gain_loss", "", "USD", 11, 0),
    ]

    # the day's bill, imported afterwards with its yuan fees: both transactions are settled
    bill = alipay_bill(
        DAY,
        [
            alipay_row(paid.trade_no, str(paid.payment_id), "544.05", fee="-3.26"),
            alipay_row(
                paid.trade_no,
                str(paid.payment_id),
                "272.03",
                kind="退款",
                fee="1.63",
                request_no=refund["request_no"],
            ),
        ],
    )
    assert _reconcile(app, bill, post_fees=True).fees_posted == 0
    balances = check_books(app, settled={"alipay": 54405 - 27203})
    assert balances.get(("provider_fees", "alipay", "CNY"), 0) == 0
    assert balances[("provider_fees", "alipay", "USD")] == -(77 - 38)
