"""The ledger's Beancount text, as pure functions: account names Beancount's grammar accepts,
`open` directives on the Beijing date of each account's first line, and the worked example's
capture written out in full and read back by Beancount itself."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from beancount import loader
from beancount.core import account as beancount_account
from beancount.core.data import Transaction

from kuajing.ledger import beancount
from kuajing.ledger.accounts import CHART
from kuajing.ledger.beancount import OpenAccount
from kuajing.ledger.repository import PostedLine

pytestmark = pytest.mark.once

# 00:30 on Singles' Day in Beijing, still 10 November in UTC: the business's day is the 11th.
CAPTURED_AT = datetime(2026, 11, 10, 16, 30, tzinfo=UTC)


def _line(account: str, party: str, currency: str, *, debit: int = 0, credit: int = 0) -> PostedLine:
    return PostedLine(
        entry_id=7,
        key="capture:payment:12",
        kind="capture",
        memo="order 31 paid through alipay",
        occurred_at=CAPTURED_AT,
        order_id=31,
        account=account,
        party=party,
        currency=currency,
        debit=debit,
        credit=credit,
    )


# The worked example: 2 bottles at $30.00 + $5.00 freight at FX 7.1000 = 544.05 CNY with 82.55
# tax; 5% commission $3.00; the seller's net $62.00.
CAPTURE = [
    _line("provider_clearing", "alipay", "CNY", debit=54405),
    _line("cbec_tax_payable", "", "CNY", credit=8255),
    _line("fx_conversion", "", "CNY", credit=46150),
    _line("fx_conversion", "", "USD", debit=6500),
    _line("commission_revenue", "", "USD", credit=300),
    _line("seller_pending", "42", "USD", credit=6200),
]


def _entry(lines: list[PostedLine], **fields: Any) -> list[PostedLine]:
    """The lines as another entry's."""
    return [replace(line, **fields) for line in lines]


def _used(lines: list[PostedLine]) -> list[tuple[str, str, str, datetime]]:
    return [(line.account, line.party, line.currency, line.occurred_at) for line in lines]


def test_account_names_follow_the_chart_and_name_the_party():
    assert beancount.account_name("provider_clearing", "alipay") == "Assets:Kuajing:ProviderClearing:Alipay"
    assert (
        beancount.account_name("provider_clearing", "wechatpay")
        == "Assets:Kuajing:ProviderClearing:Wechatpay"
    )
    assert beancount.account_name("provider_fees", "sandbox") == "Expenses:Kuajing:ProviderFees:Sandbox"
    assert beancount.account_name("seller_payable", "42") == "Liabilities:Kuajing:SellerPayable:Seller42"
    assert beancount.account_name("seller_pending", "7") == "Liabilities:Kuajing:SellerPending:Seller7"
    assert beancount.account_name("commission_revenue") == "Income:Kuajing:CommissionRevenue"
    assert beancount.account_name("fx_conversion") == "Equity:Kuajing:FxConversion"
    assert beancount.account_name("cbec_tax_payable") == "Liabilities:Kuajing:CbecTaxPayable"
    assert beancount.account_name("payout_bank") == "Assets:Kuajing:PayoutBank"
    assert (
        beancount.account_name("provider_clearing", "union-pay") == "Assets:Kuajing:ProviderClearing:UnionPay"
    )


def test_every_account_of_the_chart_is_a_valid_beancount_account():
    for code in CHART:
        for party in ("", "alipay", "wechatpay", "sandbox", "42"):
            name = beancount.account_name(code, party)
            assert beancount_account.is_valid(name), name


def test_a_code_off_the_chart_or_a_party_that_makes_no_name_is_refused():
    with pytest.raises(ValueError, match="no account 'petty_cash' in the chart"):
        beancount.account_name("petty_cash")
    with pytest.raises(ValueError, match="'支付宝' makes no Beancount account name component"):
        beancount.account_name("provider_clearing", "支付宝")


def test_units_have_exactly_two_decimals():
    assert [beancount.units(n) for n in (54405, -8255, -300, 5, -5, 0, 100, 123456789)] == [
        "544.05",
        "-82.55",
        "-3.00",
        "0.05",
        "-0.05",
        "0.00",
        "1.00",
        "1234567.89",
    ]


def test_accounts_open_on_the_beijing_date_of_their_first_line_with_every_currency_they_hold():
    late_on_the_tenth = datetime(2026, 11, 10, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Beijing
    used = [
        ("fx_conversion", "", "USD", CAPTURED_AT),
        ("fx_conversion", "", "CNY", late_on_the_tenth),
        ("seller_payable", "42", "USD", datetime(2026, 11, 20, 2, 0, tzinfo=UTC)),
        ("seller_payable", "9", "USD", CAPTURED_AT),
    ]
    assert beancount.accounts(used) == [
        OpenAccount("Equity:Kuajing:FxConversion", date(2026, 11, 10), ("CNY", "USD")),
        OpenAccount("Liabilities:Kuajing:SellerPayable:Seller42", date(2026, 11, 20), ("USD",)),
        OpenAccount("Liabilities:Kuajing:SellerPayable:Seller9", date(2026, 11, 11), ("USD",)),
    ]


def test_the_worked_example_capture_as_beancount_text():
    found = beancount.accounts(_used(CAPTURE))
    column = beancount.width(found)
    assert column == len("Liabilities:Kuajing:SellerPending:Seller42")

    assert beancount.header() == (
        'option "title" "Kuajing platform ledger"\n'
        'option "operating_currency" "USD"\n'
        'option "operating_currency" "CNY"\n'
    )
    assert beancount.opens(found, column=column) == (
        "2026-11-11 open Assets:Kuajing:ProviderClearing:Alipay      CNY\n"
        "2026-11-11 open Equity:Kuajing:FxConversion                 CNY,USD\n"
        "2026-11-11 open Income:Kuajing:CommissionRevenue            USD\n"
        "2026-11-11 open Liabilities:Kuajing:CbecTaxPayable          CNY\n"
        "2026-11-11 open Liabilities:Kuajing:SellerPending:Seller42  USD\n"
    )
    assert beancount.transaction(CAPTURE, column=column) == (
        '2026-11-11 * "order 31 paid through alipay"\n'
        '  key: "capture:payment:12"\n'
        '  kind: "capture"\n'
        '  order: "31"\n'
        "  Assets:Kuajing:ProviderClearing:Alipay            544.05 CNY\n"
        "  Liabilities:Kuajing:CbecTaxPayable                -82.55 CNY\n"
        "  Equity:Kuajing:FxConversion                      -461.50 CNY\n"
        "  Equity:Kuajing:FxConversion                        65.00 USD\n"
        "  Income:Kuajing:CommissionRevenue                   -3.00 USD\n"
        "  Liabilities:Kuajing:SellerPending:Seller42        -62.00 USD\n"
    )


def test_beancount_reads_the_capture_back_balanced_in_each_currency_without_prices():
    found = beancount.accounts(_used(CAPTURE))
    column = beancount.width(found)
    text = (
        beancount.header()
        + beancount.opens(found, column=column)
        + beancount.transaction(CAPTURE, column=column)
    )

    entries, errors, options = loader.load_string(text)

    assert errors == []
    assert (options["title"], options["operating_currency"]) == ("Kuajing platform ledger", ["USD", "CNY"])
    (capture,) = [entry for entry in entries if isinstance(entry, Transaction)]
    assert (capture.date, capture.flag, capture.narration) == (
        date(2026, 11, 11),
        "*",
        "order 31 paid through alipay",
    )
    assert (capture.meta["key"], capture.meta["kind"], capture.meta["order"]) == (
        "capture:payment:12",
        "capture",
        "31",
    )
    assert [(p.account, p.units.number, p.units.currency, p.price) for p in capture.postings] == [
        ("Assets:Kuajing:ProviderClearing:Alipay", Decimal("544.05"), "CNY", None),
        ("Liabilities:Kuajing:CbecTaxPayable", Decimal("-82.55"), "CNY", None),
        ("Equity:Kuajing:FxConversion", Decimal("-461.50"), "CNY", None),
        ("Equity:Kuajing:FxConversion", Decimal("65.00"), "USD", None),
        ("Income:Kuajing:CommissionRevenue", Decimal("-3.00"), "USD", None),
        ("Liabilities:Kuajing:SellerPending:Seller42", Decimal("-62.00"), "USD", None),
    ]


def test_a_memo_with_quotes_backslashes_and_a_newline_reads_back_as_it_was():
    memo = 'refund of "Napa Red"\\2019\nsecond line'
    lines = _entry(
        [
            _line("provider_fees", "alipay", "CNY", debit=163),
            _line("provider_clearing", "alipay", "CNY", credit=163),
        ],
        entry_id=3,
        key="fee:alipay:T1",
        kind="provider_fee",
        memo=memo,
        order_id=None,
    )
    found = beancount.accounts(_used(lines))

    text = beancount.transaction(lines, column=beancount.width(found))

    assert text.splitlines()[0] == '2026-11-11 * "refund of \\"Napa Red\\"\\\\2019\\nsecond line"'
    assert "order:" not in text
    entries, errors, _options = loader.load_string(beancount.opens(found, column=0) + text)
    assert errors == []
    (fee,) = [entry for entry in entries if isinstance(entry, Transaction)]
    assert fee.narration == memo


def test_lines_group_into_their_entries_and_unopened_accounts_are_named():
    delivery = _entry(
        [_line("seller_pending", "42", "USD", debit=6200), _line("seller_payable", "42", "USD", credit=6200)],
        entry_id=8,
        key="deliver:order:31",
        kind="delivery",
    )
    assert [[line.entry_id for line in entry] for entry in beancount.entries(CAPTURE + delivery)] == [
        [7] * 6,
        [8, 8],
    ]

    opened = {account.name: account for account in beancount.accounts(_used(CAPTURE))}
    assert beancount.unopened(CAPTURE, opened) == []
    assert beancount.unopened(delivery, opened) == ["Liabilities:Kuajing:SellerPayable:Seller42 USD"]
    later = {
        name: OpenAccount(name, date(2026, 11, 12), account.currencies) for name, account in opened.items()
    }
    assert beancount.unopened(CAPTURE[:1], later) == ["Assets:Kuajing:ProviderClearing:Alipay CNY"]
