"""The chart of accounts: every account a money event posts to, what kind it is, and what it
means. An account is a code plus a party (the provider, or the seller's user id; "" for none)."""

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    asset = "Assets"
    liability = "Liabilities"
    equity = "Equity"
    income = "Income"
    expense = "Expenses"


@dataclass(frozen=True, slots=True)
class Account:
    code: str
    kind: Kind
    meaning: str


PROVIDER_CLEARING = Account(
    "provider_clearing",
    Kind.asset,
    "Yuan the payment provider holds for the platform: buyers' payments less refunds, until it settles.",
)
CBEC_TAX_PAYABLE = Account(
    "cbec_tax_payable",
    Kind.liability,
    "CBEC import tax withheld from buyers, owed to customs (代收代缴).",
)
FX_CONVERSION = Account(
    "fx_conversion",
    Kind.equity,
    "Trading account between yuan and dollars: the yuan received for goods and freight against the "
    "dollars owed for them at each order's rate. Its yuan and dollar sides balance each other.",
)
COMMISSION_REVENUE = Account(
    "commission_revenue",
    Kind.income,
    "The platform's commission on sellers' goods, in dollars.",
)
SELLER_PENDING = Account(
    "seller_pending",
    Kind.liability,
    "Dollars owed to a seller for orders paid but not yet delivered.",
)
SELLER_PAYABLE = Account(
    "seller_payable",
    Kind.liability,
    "Dollars owed to a seller for delivered orders, less refunds and payouts.",
)

PROVIDER_FEES = Account(
    "provider_fees",
    Kind.expense,
    "What the payment providers charge the platform per transaction: in yuan as their daily bills "
    "state it, in dollars as their settlements do.",
)
PAYOUT_BANK = Account(
    "payout_bank",
    Kind.asset,
    "The platform's dollar bank account: the providers' dollar settlements come in, payouts to "
    "sellers go out.",
)
FX_GAIN_LOSS = Account(
    "fx_gain_loss",
    Kind.income,
    "Dollars gained (credit) or lost (debit) when a provider converts the yuan it holds at its own "
    "rate rather than at the rate each order was priced at.",
)

CHART = {
    account.code: account
    for account in (
        PROVIDER_CLEARING,
        CBEC_TAX_PAYABLE,
        FX_CONVERSION,
        COMMISSION_REVENUE,
        SELLER_PENDING,
        SELLER_PAYABLE,
        PROVIDER_FEES,
        PAYOUT_BANK,
        FX_GAIN_LOSS,
    )
}
