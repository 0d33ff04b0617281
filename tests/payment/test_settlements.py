"""Alipay's cross-border settlement file read into rows in our terms, and every malformed file
refused with the line and the column that is wrong."""

from datetime import datetime
from decimal import Decimal

import pytest

from kuajing.kit.time import BEIJING
from kuajing.payment.settlements import SettlementRow, UnreadableSettlement, read_settlement
from tests.payment.factories import SETTLEMENT_HEADER, settlement_file, settlement_row

TRADE = "2025111122001400000000000001"


def test_payment_and_refund_rows_are_read_to_the_cent():
    data = settlement_file(
        [
            settlement_row(
                "12", TRADE, amount="76.84", rmb="544.05", fee="0.77", settled="76.07", rate="7.0800"
            ),
            settlement_row(
                "12-0-27203",
                TRADE,
                amount="38.42",
                rmb="272.03",
                fee="0.00",
                settled="38.42",
                rate="7.0800",
                kind="R",
            ),
            settlement_row(
                "13", TRADE, amount="1.00", rmb="7.08", fee="0", settled="1.00", rate="7.08", kind="C"
            ),
        ]
    )

    read = read_settlement(data)

    assert (read.provider, read.skipped) == ("alipay", 1)
    assert read.rows == (
        SettlementRow(
            provider="alipay",
            kind="payment",
            reference="12",
            trade_no=TRADE,
            rmb_amount=54405,
            amount=7684,
            fee=77,
            settled=7607,
            currency="USD",
            rate=Decimal("7.0800"),
            settled_at=datetime(2025, 11, 13, 16, 50, tzinfo=BEIJING),
            line=2,
        ),
        SettlementRow(
            provider="alipay",
            kind="refund",
            reference="12-0-27203",
            trade_no=TRADE,
            rmb_amount=27203,
            amount=3842,
            fee=0,
            settled=3842,
            currency="USD",
            rate=Decimal("7.0800"),
            settled_at=datetime(2025, 11, 13, 16, 50, tzinfo=BEIJING),
            line=3,
        ),
    )


def test_columns_are_found_by_name_in_any_order_and_case():
    header = (
        "TYPE|Rate|Currency|Settlement|Fee|Rmb_amount|Amount|Transaction_id|Partner_transaction_id|"
        "Settlement_time"
    )
    line = f"P|7.08|USD|76.07|0.77|544.05|76.84|{TRADE}|12|2025-11-13 16:50:00"
    (row,) = read_settlement((header + "\n" + line + "\n").encode()).rows
    assert (row.reference, row.rmb_amount, row.settled, row.fee) == ("12", 54405, 7607, 77)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Partner_transaction_id|Transaction_id|Amount\n", "no Rmb_amount, Fee, Settlement"),
        (
            settlement_file(
                [
                    settlement_row(
                        "12", TRADE, amount="76.84", rmb="544.055", fee="0.77", settled="76.07", rate="7.08"
                    )
                ]
            ),
            "Line 2: Rmb_amount '544.055' is not an amount to the cent",
        ),
        (
            settlement_file(
                [
                    settlement_row(
                        "12", TRADE, amount="-76.84", rmb="544.05", fee="0.77", settled="76.07", rate="7.08"
                    )
                ]
            ),
            "Line 2: Amount '-76.84' is not an amount to the cent",
        ),
        (
            settlement_file(
                [
                    settlement_row(
                        "12", TRADE, amount="76.84", rmb="544.05", fee="0.77", settled="76.07", rate="0"
                    )
                ]
            ),
            "Line 2: Rate '0' is not an exchange rate",
        ),
        (
            settlement_file(
                [
                    settlement_row(
                        "", TRADE, amount="76.84", rmb="544.05", fee="0.77", settled="76.07", rate="7.08"
                    )
                ]
            ),
            "Line 2: Partner_transaction_id is empty",
        ),
        (
            settlement_file(
                [
                    settlement_row(
                        "12",
                        TRADE,
                        amount="76.84",
                        rmb="544.05",
                        fee="0.77",
                        settled="76.07",
                        rate="7.08",
                        currency="EUR",
                    )
                ]
            ),
            "Line 2: settled in EUR; the books take settlements in USD",
        ),
        (
            settlement_file(
                [
                    settlement_row(
                        "12",
                        TRADE,
                        amount="76.84",
                        rmb="544.05",
                        fee="0.77",
                        settled="76.07",
                        rate="7.08",
                        settled_at="13/11/2025",
                    )
                ]
            ),
            "Line 2: Settlement_time '13/11/2025' is not a time",
        ),
        (b"\x00\x01binary", "not text"),
    ],
)
def test_a_file_that_is_not_a_settlement_is_refused_saying_where(data, message):
    with pytest.raises(UnreadableSettlement) as refused:
        read_settlement(data)
    assert message in refused.value.message
    assert refused.value.code == "unreadable_settlement"


def test_the_header_alone_is_an_empty_settlement():
    read = read_settlement((SETTLEMENT_HEADER + "\n").encode())
    assert (read.rows, read.skipped) == ((), 0)


def test_rows_not_yet_liquidated_are_skipped_and_absurd_amounts_refused():
    liquidated = settlement_row(
        "12", TRADE, amount="76.84", rmb="544.05", fee="0.77", settled="76.07", rate="7.08"
    )
    pending = liquidated.replace("|P|L|", "|P|P|")
    read = read_settlement(settlement_file([liquidated, pending]))
    assert ([row.line for row in read.rows], read.skipped) == ([2], 1)

    for amount in ("1e999999", "99999999999.00", "NaN"):
        with pytest.raises(UnreadableSettlement, match=f"Amount '{amount}' is not an amount to the cent"):
            read_settlement(
                settlement_file(
                    [
                        settlement_row(
                            "12", TRADE, amount=amount, rmb="544.05", fee="0", settled="1", rate="7.08"
                        )
                    ]
                )
            )
