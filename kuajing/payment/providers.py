"""Payment providers behind one interface, chosen per payment.

A payment is asynchronous, as Alipay's and WeChat Pay's are: `start` tells the buyer where to
pay (a signed page-pay URL, a QR code's URL); the provider's notification, or a `query` when
none came, says it was paid. Refunds carry our own request number, so asking twice never pays
twice. Each adapter maps its provider's wire format to the small records here; nothing above
this module knows a provider's field names.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from kuajing.kit.money import minor_text

_YUAN = re.compile(r"[0-9]{1,12}(\.[0-9]{1,2})?")

TradeStatus = Literal["pending", "captured", "closed", "not_found"]
RefundStatus = Literal["succeeded", "pending", "failed", "not_found"]


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with a server error: try again later."""


class ProviderRefused(Exception):
    """The provider understood the request and said no (a business error); `detail` says why."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotificationRefused(Exception):
    """A notification that is not the provider's or not for us: answered as refused, kept."""

    def __init__(self, code: str, detail: str, *, out_trade_no: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.out_trade_no = out_trade_no


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    payment_id: int
    order_id: int
    amount: int  # fen
    currency: str
    subject: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where the buyer pays: a page to send them to, or a code to show as a QR code."""

    redirect_url: str | None = None
    code_url: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified notification, in our terms: `out_trade_no` as the provider sent it, and the
    payment id it names (None if it names none of ours)."""

    kind: Literal["payment", "refund"]
    out_trade_no: str
    payment_id: int | None
    trade_no: str | None
    amount: int | None  # fen: what was paid, or (kind refund) what was refunded
    paid: bool  # the trade is paid (kind payment) or the refund went through (kind refund)
    request_no: str | None = None  # our refund request number (kind refund)
    refund_reference: str | None = None  # the provider's number for the refund (kind refund)
    paid_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TradeState:
    status: TradeStatus
    trade_no: str | None = None
    amount: int | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_id: int
    trade_no: str | None
    request_no: str
    amount: int
    total: int
    currency: str
    reason: str


@dataclass(frozen=True, slots=True)
class RefundState:
    status: RefundStatus
    reference: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DeclarationRequest:
    """The payment company's declaration of a captured payment to customs, with the orderer's
    identity for it to check against the payer's."""

    payment_id: int
    trade_no: str
    amount: int  # fen
    request_no: str
    merchant_customs_code: str
    merchant_customs_name: str
    orderer_name: str
    orderer_id_number: str


@dataclass(frozen=True, slots=True)
class Declaration:
    status: Literal["accepted", "refused"]
    payer_identity: Literal["same", "different", "unchecked"]
    reference: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the notify endpoint sends back to the provider."""

    status_code: int
    media_type: str
    body: str


class Provider(Protocol):
    name: str

    @property
    def declares(self) -> bool:
        """Whether `declare` can declare anything here: False where it answers None for every
        payment (not built, or not configured), whose payments are then recorded not_sent
        together, without reading their orders."""
        ...

    async def start(self, request: PaymentRequest) -> Checkout: ...

    def read_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Verify and read a notification; raise NotificationRefused if it is not genuine."""
        ...

    def answer(self, accepted: bool) -> Answer: ...

    async def query(self, payment_id: int) -> TradeState: ...

    async def refund(self, request: RefundRequest) -> RefundState: ...

    async def query_refund(self, payment_id: int, request_no: str) -> RefundState: ...

    async def close(self, payment_id: int) -> None: ...

    async def declare(self, request: DeclarationRequest) -> Declaration | None:
        """Declare the payment to customs; None where this provider's declaration is not built."""
        ...


def payment_id_of(out_trade_no: str) -> int | None:
    """Our payment id from an out_trade_no we gave (digits, perhaps zero-padded)."""
    return (
        int(out_trade_no)
        if out_trade_no.isascii() and out_trade_no.isdigit() and len(out_trade_no) < 19
        else None
    )


def yuan_text(fen: int) -> str:
    """544.05 for 54405: the two-decimal yuan amounts Alipay reads and writes."""
    return minor_text(fen)


def fen_of(text: str) -> int:
    """54405 for "544.05"; ValueError for anything that is not a plain yuan amount to the fen
    (no sign, no exponent, at most two decimals)."""
    if not isinstance(text, str) or not _YUAN.fullmatch(text):
        raise ValueError(f"not an amount to the fen: {text!r}")
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)


class Providers:
    """The providers this process offers, by name."""

    def __init__(self, providers: Mapping[str, Provider]) -> None:
        self._by_name = dict(providers)

    def __getitem__(self, name: str) -> Provider:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        return list(self._by_name)

    @property
    def silent(self) -> list[str]:
        """The providers that declare nothing to customs (Provider.declares is False)."""
        return [name for name, provider in self._by_name.items() if not provider.declares]

    @property
    def real(self) -> list[str]:
        """The providers that move real money (all but the sandbox)."""
        return [name for name in self._by_name if name != "sandbox"]
