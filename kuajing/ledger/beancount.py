"""The ledger as Beancount text (beancount.github.io), for an accountant's Beancount or Fava: pure
functions from the chart's accounts and the journal's lines to the file's directives. The app
writes the text and never imports beancount; the tests check the text with it.

An account is `<Kind>:Kuajing:<Code>` with its party as a last component: a provider by name
(`Assets:Kuajing:ProviderClearing:Alipay`), a seller by user id
(`Liabilities:Kuajing:SellerPayable:Seller42`). Each journal entry is one transaction on the
Beijing date it happened, one posting per line, with no prices: every entry balances in each
currency on its own (the yuan and dollar sides of fx_conversion each balance), which Beancount
accepts as it is.
"""

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from kuajing.kit.time import beijing_date
from kuajing.ledger.accounts import CHART
from kuajing.ledger.repository import PostedLine

TITLE = "Kuajing platform ledger"
OPERATING_CURRENCIES = ("USD", "CNY")
# Beancount's lexer (ACCOUNTNAME in parser/lexer.l; ACC_COMP_NAME_RE in core/account.py), ASCII
# part: a component starts with a capital letter or a digit, then letters, digits and dashes.
_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
# Wide enough for -99,999,999.99 without commas: amounts line up in a text editor.
_AMOUNT_WIDTH = 12


@dataclass(frozen=True, slots=True)
class OpenAccount:
    """A Beancount account: its name, the day it opens and the currencies it holds."""

    name: str
    opened: date
    currencies: tuple[str, ...]


def _component(name: str) -> str:
    component = "".join(word.capitalize() for word in re.split(r"[^A-Za-z0-9]+", name))
    if not _COMPONENT.fullmatch(component):
        raise ValueError(f"{name!r} makes no Beancount account name component")
    return component


def account_name(code: str, party: str = "") -> str:
    """`<Kind>:Kuajing:<CamelCase code>`, then `:<Party>` when there is one: a seller's user id
    as `Seller<id>`, a provider capitalised (`Alipay`, `Wechatpay`, `Sandbox`)."""
    account = CHART.get(code)
    if account is None:
        raise ValueError(f"no account {code!r} in the chart")
    name = f"{account.kind.value}:Kuajing:{_component(code)}"
    if not party:
        return name
    return f"{name}:Seller{party}" if party.isascii() and party.isdigit() else f"{name}:{_component(party)}"


def accounts(used: Iterable[tuple[str, str, str, datetime]]) -> list[OpenAccount]:
    """The accounts that (code, party, currency, first posted at) rows name, each opened on the
    Beijing date of its first line with every currency it holds; by name."""
    opened: dict[str, date] = {}
    currencies: dict[str, set[str]] = {}
    for code, party, currency, first_at in used:
        name = account_name(code, party)
        day = beijing_date(first_at)
        opened[name] = min(opened.get(name, day), day)
        currencies.setdefault(name, set()).add(currency)
    return [OpenAccount(name, opened[name], tuple(sorted(currencies[name]))) for name in sorted(opened)]


def width(found: Iterable[OpenAccount]) -> int:
    """The column postings' amounts start after: the longest account name."""
    return max((len(account.name) for account in found), default=0)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def units(minor: int) -> str:
    """Minor units as a decimal with exactly two places: -8255 -> "-82.55"."""
    whole, cents = divmod(abs(minor), 100)
    return f"{'-' if minor < 0 else ''}{whole}.{cents:02d}"


def header(title: str = TITLE) -> str:
    """The file's options: its title and operating currencies."""
    options = [f'option "title" {_quote(title)}']
    options += [f'option "operating_currency" {_quote(currency)}' for currency in OPERATING_CURRENCIES]
    return "\n".join(options) + "\n"


def opens(found: Sequence[OpenAccount], *, column: int) -> str:
    """An `open` directive for each account, its currencies after `column`."""
    return "".join(
        f"{account.opened.isoformat()} open {account.name:<{column}}  {','.join(account.currencies)}\n"
        for account in found
    )


def transaction(lines: Sequence[PostedLine], *, column: int) -> str:
    """One journal entry (its lines, in order) as a transaction: on the Beijing date it happened,
    the memo as narration, its key, kind and order as metadata, a posting per line (debit
    positive, credit negative), amounts after `column`."""
    entry = lines[0]
    text = [
        f"{beijing_date(entry.occurred_at).isoformat()} * {_quote(entry.memo)}",
        f"  key: {_quote(entry.key)}",
        f"  kind: {_quote(entry.kind)}",
    ]
    if entry.order_id is not None:
        text.append(f"  order: {_quote(str(entry.order_id))}")
    text += [
        f"  {account_name(line.account, line.party):<{column}}  "
        f"{units(line.debit - line.credit):>{_AMOUNT_WIDTH}} {line.currency}"
        for line in lines
    ]
    return "\n".join(text) + "\n"


def entries(lines: Iterable[PostedLine]) -> Iterator[list[PostedLine]]:
    """Lines ordered by entry, grouped into their entries."""
    for _entry_id, grouped in groupby(lines, key=lambda line: line.entry_id):
        yield list(grouped)


def unopened(lines: Iterable[PostedLine], opened: Mapping[str, OpenAccount]) -> list[str]:
    """The postings among `lines` that the open directives do not cover (an account not opened,
    opened later, or not for that currency), as `account currency`."""
    found = []
    for line in lines:
        name = account_name(line.account, line.party)
        account = opened.get(name)
        if (
            account is None
            or account.opened > beijing_date(line.occurred_at)
            or line.currency not in account.currencies
        ):
            found.append(f"{name} {line.currency}")
    return found
