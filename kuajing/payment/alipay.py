"""Alipay (open platform, RSA2) through python-alipay-sdk.

- Page pay: the buyer is sent to the gateway with a signed `alipay.trade.page.pay` request; its
  biz_content carries out_trade_no (our payment id), total_amount in yuan to the fen, the
  subject, and, for an overseas merchant settled in dollars, the overseas product code and
  settle_currency.
- The asynchronous notification is a form POST signed RSA2 over its sorted parameters without
  `sign` and `sign_type`, verified with Alipay's public key; we answer exactly `success` or
  `failure`.
- alipay.trade.query, alipay.trade.refund (our out_request_no makes it idempotent),
  alipay.trade.fastpay.refund.query and alipay.trade.close, their answers verified by the SDK.

The SDK knows only Alipay's two hosts and stamps requests with the machine's local time; the
client below takes the gateway from settings and stamps Beijing time, as Alipay reads it.
"""

import asyncio
import json
import urllib.error
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError

from kuajing.kit.time import BEIJING, utcnow
from kuajing.payment.providers import (
    Answer,
    Checkout,
    Declaration,
    DeclarationRequest,
    Notification,
    NotificationRefused,
    PaymentRequest,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
    RefundState,
    TradeState,
    fen_of,
    payment_id_of,
    yuan_text,
)

T = TypeVar("T")
_PAID = {"TRADE_SUCCESS", "TRADE_FINISHED"}
_TRADE_STATUS = {"WAIT_BUYER_PAY": "pending", "TRADE_CLOSED": "closed"} | dict.fromkeys(_PAID, "captured")
_TIME = "%Y-%m-%d %H:%M:%S"


def _beijing(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime(_TIME)


def _parse_beijing(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, _TIME).replace(tzinfo=BEIJING)
    except ValueError:
        return None


class _Client(AliPay):  # type: ignore[misc]  # the SDK has no type hints
    def __init__(self, *, gateway: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway

    def build_body(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().build_body(*args, **kwargs)
        data["timestamp"] = _beijing(utcnow())
        return data


class AlipayProvider:
    name = "alipay"

    def __init__(
        self,
        *,
        app_id: str,
        private_key: Path,
        alipay_public_key: Path,
        gateway: str,
        public_url: str,
        settle_currency: str = "USD",
        customs_place: str = "",
    ) -> None:
        self._app_id = app_id
        self._customs_place = customs_place
        self._gateway = gateway
        self._public_url = public_url.rstrip("/")
        self._settle_currency = settle_currency
        self._client = _Client(
            gateway=gateway,
            appid=app_id,
            app_notify_url=f"{self._public_url}/api/v1/payments/alipay/notify",
            app_private_key_string=private_key.read_text(),
            alipay_public_key_string=alipay_public_key.read_text(),
            sign_type="RSA2",
        )

    async def start(self, request: PaymentRequest) -> Checkout:
        overseas: dict[str, str] = {}
        if self._settle_currency:
            overseas = {"product_code": "NEW_OVERSEAS_SELLER", "settle_currency": self._settle_currency}
        signed = self._client.api_alipay_trade_page_pay(
            subject=request.subject,
            out_trade_no=str(request.payment_id),
            total_amount=yuan_text(request.amount),
            # back to the page that waits for the notification
            return_url=f"{self._public_url}/orders/{request.order_id}/payments/{request.payment_id}",
            time_expire=_beijing(request.expires_at),
            **overseas,
        )
        return Checkout(redirect_url=f"{self._gateway}?{signed}")

    def read_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        try:
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotificationRefused("malformed", "The notification is not a UTF-8 form.") from exc
        out_trade_no = params.get("out_trade_no")
        signature = params.pop("sign", None)
        if not signature:
            raise NotificationRefused(
                "bad_signature", "The notification is not signed.", out_trade_no=out_trade_no
            )
        try:
            genuine = self._client.verify(dict(params), signature)
        except (AliPayException, ValueError, TypeError) as exc:
            raise NotificationRefused(
                "bad_signature", f"The signature does not verify: {exc}", out_trade_no=out_trade_no
            ) from exc
        if not genuine:
            raise NotificationRefused(
                "bad_signature",
                "The signature does not verify with Alipay's public key.",
                out_trade_no=out_trade_no,
            )
        if params.get("app_id") != self._app_id:
            raise NotificationRefused(
                "app_mismatch",
                f"The notification is for app {params.get('app_id')!r}.",
                out_trade_no=out_trade_no,
            )
        if not out_trade_no:
            raise NotificationRefused("malformed", "The notification names no out_trade_no.")
        try:
            amount = fen_of(params.get("total_amount", ""))
            refunded = fen_of(params["refund_fee"]) if params.get("refund_fee") else None
        except ValueError as exc:
            raise NotificationRefused("malformed", str(exc), out_trade_no=out_trade_no) from exc
        status = params.get("trade_status", "")
        if params.get("out_biz_no") and refunded is not None:
            # a refund's notification: out_biz_no is our refund request number
            return Notification(
                kind="refund",
                out_trade_no=out_trade_no,
                payment_id=payment_id_of(out_trade_no),
                trade_no=params.get("trade_no"),
                amount=refunded,
                paid=True,
                request_no=params["out_biz_no"],
                refund_reference=params.get("trade_no"),
            )
        return Notification(
            kind="payment",
            out_trade_no=out_trade_no,
            payment_id=payment_id_of(out_trade_no),
            trade_no=params.get("trade_no"),
            amount=amount,
            paid=status in _PAID,
            paid_at=_parse_beijing(params.get("gmt_payment")),
        )

    def answer(self, accepted: bool) -> Answer:
        return Answer(200, "text/plain", "success" if accepted else "failure")

    async def _call(self, call: Callable[..., T], **kwargs: Any) -> T:
        try:
            return await asyncio.to_thread(call, **kwargs)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise ProviderUnavailable(f"Alipay could not be reached: {exc}") from exc
        except AliPayValidationError as exc:
            raise ProviderUnavailable("Alipay's answer did not verify with its public key.") from exc
        except AliPayException as exc:
            raise ProviderRefused(str(exc)) from exc
        except (json.JSONDecodeError, ValueError) as exc:
            raise ProviderUnavailable(f"Alipay answered something unreadable: {exc}") from exc

    async def query(self, payment_id: int) -> TradeState:
        answer = await self._call(self._client.api_alipay_trade_query, out_trade_no=str(payment_id))
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return TradeState(status="not_found")
            raise ProviderRefused(f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
        status = _TRADE_STATUS.get(answer.get("trade_status", ""), "pending")
        try:
            amount = fen_of(answer["total_amount"]) if answer.get("total_amount") else None
        except ValueError as exc:
            raise ProviderUnavailable(f"Alipay answered an unreadable amount: {exc}") from exc
        return TradeState(
            status=status,  # type: ignore[arg-type]
            trade_no=answer.get("trade_no"),
            amount=amount,
            paid_at=_parse_beijing(answer.get("send_pay_date")),
        )

    async def refund(self, request: RefundRequest) -> RefundState:
        answer = await self._call(
            self._client.api_alipay_trade_refund,
            refund_amount=yuan_text(request.amount),
            out_trade_no=str(request.payment_id),
            out_request_no=request.request_no,
            refund_reason=request.reason[:256],
        )
        if answer.get("code") != "10000":
            return RefundState(status="failed", detail=f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
        return RefundState(status="succeeded", reference=answer.get("trade_no"))

    async def query_refund(self, payment_id: int, request_no: str) -> RefundState:
        answer = await self._call(
            self._client.api_alipay_trade_fastpay_refund_query,
            out_request_no=request_no,
            out_trade_no=str(payment_id),
        )
        if answer.get("code") != "10000":
            raise ProviderRefused(f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
        if answer.get("refund_status") == "REFUND_SUCCESS":
            return RefundState(status="succeeded", reference=answer.get("trade_no"))
        # Alipay answers a refund it never made with no refund_status at all
        return RefundState(status="not_found")

    @property
    def declares(self) -> bool:
        return bool(self._customs_place)

    async def declare(self, request: DeclarationRequest) -> Declaration | None:
        """alipay.trade.customs.declare: Alipay declares the payment to the customs office
        `customs_place` and answers identity_check, T when the orderer given is the payer (only
        on the first declaration of a payment)."""
        if not self._customs_place:
            return None  # KUAJING_ALIPAY_CUSTOMS_PLACE unset: nowhere to declare to
        answer = await self._call(
            self._client.server_api,
            api_name="alipay.trade.customs.declare",
            biz_content={
                "out_request_no": request.request_no,
                "trade_no": request.trade_no,
                "merchant_customs_code": request.merchant_customs_code,
                "merchant_customs_name": request.merchant_customs_name,
                "amount": yuan_text(request.amount),
                "customs_place": self._customs_place,
                "buyer_info": {
                    "name": request.orderer_name,
                    "cert_type": "IDENTITY_CARD",
                    "cert_no": request.orderer_id_number,
                },
            },
        )
        if answer.get("code") != "10000":
            return Declaration(
                status="refused",
                payer_identity="unchecked",
                detail=f"{answer.get('sub_code')}: {answer.get('sub_msg')}",
            )
        check = answer.get("identity_check")
        identity = "same" if check == "T" else "different" if check == "F" else "unchecked"
        return Declaration(
            status="accepted",
            payer_identity=identity,  # type: ignore[arg-type]
            reference=answer.get("alipay_declare_no"),
        )

    async def close(self, payment_id: int) -> None:
        answer = await self._call(self._client.api_alipay_trade_close, out_trade_no=str(payment_id))
        # never opened, or closed already (by Alipay at its expiry, or by a full refund)
        if answer.get("code") != "10000" and answer.get("sub_code") not in (
            "ACQ.TRADE_NOT_EXIST",
            "ACQ.TRADE_STATUS_ERROR",
        ):
            raise ProviderRefused(f"{answer.get('sub_code')}: {answer.get('sub_msg')}")
