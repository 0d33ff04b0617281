"""WeChat Pay (APIv3, Native QR payments) through wechatpayv3, in WeChat Pay public-key mode so
the client never downloads platform certificates.

- Native order: POST /v3/pay/transactions/native answers a `code_url`, shown as a QR code.
- The asynchronous notification: its `Wechatpay-*` headers' signature verified with WeChat
  Pay's public key, its resource decrypted (AES-256-GCM) with the APIv3 key; answered 204, or
  4xx with {"code": "FAIL", "message": ...} when refused.
- Query, close, refund (our out_refund_no makes it idempotent) and refund query, every answer's
  signature verified by the SDK.
- The customs declaration (订单附加信息提交, `/cgi-bin/mch/customs/customdeclareorder`) is still
  WeChat Pay's API v2: XML signed with MD5 and the v2 key, answered in XML signed the same way.
  WeChat Pay checks the orderer named against the payer (`cert_check_result`).
"""

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from wechatpayv3 import WeChatPay, WeChatPayType

from kuajing.kit.time import BEIJING
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
    payment_id_of,
)

_TRADE_STATE = {
    "SUCCESS": "captured",
    "REFUND": "captured",  # paid, then (some of it) refunded
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "closed",
}
_REFUND_STATUS = {"SUCCESS": "succeeded", "PROCESSING": "pending", "CLOSED": "failed", "ABNORMAL": "failed"}
# the declaration's state: sent on to customs (or on its way), or refused by it; UNDECLARED (not
# sent yet) and EXCEPT (customs' interface failed) are asked again at the next round
_DECLARATION_STATE = {
    "SUBMITTED": "accepted",
    "PROCESSING": "accepted",
    "SUCCESS": "accepted",
    "FAIL": "refused",
}
_NOT_YET = ("UNDECLARED", "EXCEPT")
# business errors that pass: ask again later rather than record a refusal
_TEMPORARY = ("SYSTEMERROR", "FREQUENCY_LIMITED", "FREQ_LIMIT")
_MAX_ANSWER = 64 * 1024
_CERT_CHECK = {"SAME": "same", "DIFFERENT": "different"}
_DECLARE_PATH = "/cgi-bin/mch/customs/customdeclareorder"
# the answers are small; an entity or a remote DTD in them is never followed
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _out_trade_no(payment_id: int) -> str:
    """WeChat Pay's out_trade_no is 6 to 32 characters: the payment id, zero-padded."""
    return f"{payment_id:06d}"


def v2_sign(fields: Mapping[str, str], key: str) -> str:
    """API v2's MD5 signature: the non-empty fields but `sign`, sorted by name, as k=v joined
    by &, then &key=<v2 key>; upper-case hex."""
    text = "&".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "sign" and fields[name])
    return hashlib.md5(f"{text}&key={key}".encode()).hexdigest().upper()


def v2_xml(fields: Mapping[str, str]) -> bytes:
    root = etree.Element("xml")
    for name, value in fields.items():
        etree.SubElement(root, name).text = value
    return bytes(etree.tostring(root, encoding="utf-8"))


def v2_fields(body: bytes) -> dict[str, str]:
    """The flat <xml><name>value</name>…</xml> of an API v2 answer; ValueError if it is not one."""
    try:
        root = etree.fromstring(body, _XML)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML: {exc}") from exc
    if root.tag != "xml":
        raise ValueError(f"the root is <{root.tag}>, not <xml>")
    return {str(child.tag): child.text or "" for child in root if isinstance(child.tag, str)}


def _rfc3339(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class WeChatPayProvider:
    name = "wechatpay"

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        private_key: Path,
        cert_serial_no: str,
        apiv3_key: str,
        public_key: Path,
        public_key_id: str,
        gateway: str,
        public_url: str,
        v2_key: str | None = None,
        customs: str = "",
    ) -> None:
        """`v2_key` and `customs` (WeChat Pay's code of the customs office, e.g. ZONGSHU) let the
        adapter declare payments to customs; without both it declares none."""
        self._mchid = mchid
        self._appid = appid
        self._v2_key = v2_key
        self._customs = customs
        self._gateway = gateway.rstrip("/")
        self._client = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,
            mchid=mchid,
            private_key=private_key.read_text(),
            cert_serial_no=cert_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=f"{public_url.rstrip('/')}/api/v1/payments/wechatpay/notify",
            public_key=public_key.read_text(),
            public_key_id=public_key_id,
            timeout=(5, 15),
        )
        # the SDK knows only WeChat Pay's host; the gateway comes from settings
        self._client._core._gate_way = gateway.rstrip("/")

    async def _call(self, call: Callable[..., tuple[int, Any]], **kwargs: Any) -> tuple[int, dict[str, Any]]:
        try:
            status, text = await asyncio.to_thread(call, **kwargs)
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"WeChat Pay could not be reached: {exc}") from exc
        except Exception as exc:  # the SDK raises a bare Exception when an answer's signature fails
            raise ProviderUnavailable(f"WeChat Pay's answer was refused: {exc}") from exc
        if status >= 500:
            raise ProviderUnavailable(f"WeChat Pay answered {status}.")
        if not text:
            return status, {}
        try:
            body = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ProviderUnavailable(f"WeChat Pay answered something unreadable ({status}).") from exc
        return status, body if isinstance(body, dict) else {}

    async def start(self, request: PaymentRequest) -> Checkout:
        status, body = await self._call(
            self._client.pay,
            description=request.subject[:127],
            out_trade_no=_out_trade_no(request.payment_id),
            amount={"total": request.amount, "currency": request.currency},
            time_expire=request.expires_at.astimezone(BEIJING).isoformat(timespec="seconds"),
        )
        if status != 200 or not body.get("code_url"):
            raise ProviderRefused(f"{body.get('code')}: {body.get('message')}")
        return Checkout(code_url=body["code_url"])

    def read_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        lowered = {key.lower(): value for key, value in headers.items()}
        try:
            read = self._client.callback(lowered, body)
        except Exception as exc:  # an unknown signature type or a body that is not JSON
            raise NotificationRefused("bad_signature", f"The notification was not readable: {exc}") from exc
        if not read or not isinstance(read.get("resource"), dict):
            raise NotificationRefused(
                "bad_signature",
                "The signature does not verify with WeChat Pay's public key, or the resource does not "
                "decrypt with our APIv3 key.",
            )
        resource: dict[str, Any] = read["resource"]
        out_trade_no = resource.get("out_trade_no")
        if resource.get("mchid") != self._mchid or (
            "appid" in resource and resource.get("appid") != self._appid
        ):
            raise NotificationRefused(
                "app_mismatch",
                f"The notification is for merchant {resource.get('mchid')!r}, app {resource.get('appid')!r}.",
                out_trade_no=out_trade_no,
            )
        if not out_trade_no:
            raise NotificationRefused("malformed", "The notification names no out_trade_no.")
        amount = resource.get("amount") or {}
        event = str(read.get("event_type", ""))
        if event.startswith("REFUND."):
            return Notification(
                kind="refund",
                out_trade_no=out_trade_no,
                payment_id=payment_id_of(out_trade_no),
                trade_no=resource.get("transaction_id"),
                amount=amount.get("refund"),
                paid=resource.get("refund_status") == "SUCCESS",
                request_no=resource.get("out_refund_no"),
                refund_reference=resource.get("refund_id"),
            )
        total = amount.get("total")
        if amount.get("currency", "CNY") != "CNY":
            raise NotificationRefused(
                "amount_mismatch",
                f"The payment is in {amount.get('currency')!r}, not yuan.",
                out_trade_no=out_trade_no,
            )
        if not isinstance(total, int):
            raise NotificationRefused(
                "malformed", "The notification has no amount.", out_trade_no=out_trade_no
            )
        return Notification(
            kind="payment",
            out_trade_no=out_trade_no,
            payment_id=payment_id_of(out_trade_no),
            trade_no=resource.get("transaction_id"),
            amount=total,
            paid=resource.get("trade_state") == "SUCCESS",
            paid_at=_rfc3339(resource.get("success_time")),
        )

    def answer(self, accepted: bool) -> Answer:
        if accepted:
            return Answer(204, "application/json", "")
        return Answer(400, "application/json", json.dumps({"code": "FAIL", "message": "refused"}))

    async def query(self, payment_id: int) -> TradeState:
        status, body = await self._call(self._client.query, out_trade_no=_out_trade_no(payment_id))
        if status == 404:
            return TradeState(status="not_found")
        if status != 200:
            raise ProviderRefused(f"{body.get('code')}: {body.get('message')}")
        amount = body.get("amount") or {}
        return TradeState(
            status=_TRADE_STATE.get(body.get("trade_state", ""), "pending"),  # type: ignore[arg-type]
            trade_no=body.get("transaction_id"),
            amount=amount.get("total"),
            paid_at=_rfc3339(body.get("success_time")),
        )

    async def refund(self, request: RefundRequest) -> RefundState:
        status, body = await self._call(
            self._client.refund,
            out_refund_no=request.request_no,
            amount={"refund": request.amount, "total": request.total, "currency": request.currency},
            out_trade_no=_out_trade_no(request.payment_id),
            reason=request.reason[:80],
        )
        if status != 200:
            return RefundState(status="failed", detail=f"{body.get('code')}: {body.get('message')}")
        return RefundState(
            status=_REFUND_STATUS.get(body.get("status", ""), "pending"),  # type: ignore[arg-type]
            reference=body.get("refund_id"),
        )

    async def query_refund(self, payment_id: int, request_no: str) -> RefundState:
        status, body = await self._call(self._client.query_refund, out_refund_no=request_no)
        if status == 404:
            return RefundState(status="not_found")
        if status != 200:
            raise ProviderRefused(f"{body.get('code')}: {body.get('message')}")
        return RefundState(
            status=_REFUND_STATUS.get(body.get("status", ""), "pending"),  # type: ignore[arg-type]
            reference=body.get("refund_id"),
        )

    @property
    def declares(self) -> bool:
        return bool(self._v2_key and self._customs)

    async def declare(self, request: DeclarationRequest) -> Declaration | None:
        """订单附加信息提交 (API v2): WeChat Pay declares the payment to the customs office
        `customs` and answers whether the orderer named is the payer (cert_check_result)."""
        if not (self._v2_key and self._customs):
            return None  # KUAJING_WECHATPAY_CUSTOMS or _V2_KEY unset: nowhere to declare to
        fields = {
            "appid": self._appid,
            "mch_id": self._mchid,
            "out_trade_no": _out_trade_no(request.payment_id),
            "transaction_id": request.trade_no,
            "customs": self._customs,
            "mch_customs_no": request.merchant_customs_code,
            "action_type": "ADD",
            "cert_type": "IDCARD",
            "cert_id": request.orderer_id_number,
            "name": request.orderer_name,
        }
        fields["sign"] = v2_sign(fields, self._v2_key)
        answer = await self._call_v2(_DECLARE_PATH, fields)
        if answer.get("result_code") != "SUCCESS" and answer.get("err_code") in _TEMPORARY:
            said = answer.get("err_code_des") or answer["err_code"]
            raise ProviderUnavailable(f"WeChat Pay is busy: {said}")
        if answer.get("result_code") == "SUCCESS" and answer.get("state") in _NOT_YET:
            raise ProviderUnavailable(f"WeChat Pay has not declared it yet (state {answer['state']}).")
        if answer.get("result_code") != "SUCCESS":
            return Declaration(
                status="refused",
                payer_identity="unchecked",
                detail=f"{answer.get('err_code')}: {answer.get('err_code_des')}",
            )
        state = answer.get("state", "")
        status = _DECLARATION_STATE.get(state, "refused")
        return Declaration(
            status=status,  # type: ignore[arg-type]
            payer_identity=_CERT_CHECK.get(answer.get("cert_check_result", ""), "unchecked"),  # type: ignore[arg-type]
            reference=answer.get("verify_department_trade_id") or None,
            detail="" if status == "accepted" else f"customs state {state or 'not given'}",
        )

    async def _call_v2(self, path: str, fields: Mapping[str, str]) -> dict[str, str]:
        """POST an API v2 request; its answer, read and its signature checked. A communication
        failure (return_code FAIL) is the provider's refusal; an answer that is not WeChat Pay's
        (unsigned, badly signed, not XML) is treated as no answer."""
        assert self._v2_key
        try:
            status, body = await asyncio.to_thread(self._post_v2, path, v2_xml(fields))
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"WeChat Pay could not be reached: {exc}") from exc
        if status >= 500:
            raise ProviderUnavailable(f"WeChat Pay answered {status}.")
        if len(body) > _MAX_ANSWER:
            raise ProviderUnavailable("WeChat Pay's answer is far longer than any it gives.")
        try:
            answer = v2_fields(body)
        except ValueError as exc:
            raise ProviderUnavailable(f"WeChat Pay answered something unreadable: {exc}") from exc
        if answer.get("return_code") != "SUCCESS":
            raise ProviderRefused(f"{answer.get('return_code')}: {answer.get('return_msg')}")
        given = answer.get("sign", "").encode("utf-8")
        if not hmac.compare_digest(given, v2_sign(answer, self._v2_key).encode("ascii")):
            raise ProviderUnavailable("WeChat Pay's answer is not signed with our v2 key.")
        return answer

    def _post_v2(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST and read at most one byte past _MAX_ANSWER of the answer."""
        with requests.post(
            self._gateway + path,
            data=body,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=(5, 15),
            stream=True,
        ) as response:
            return response.status_code, response.raw.read(_MAX_ANSWER + 1, decode_content=True)

    async def close(self, payment_id: int) -> None:
        status, body = await self._call(self._client.close, out_trade_no=_out_trade_no(payment_id))
        if status not in (200, 204) and body.get("code") != "ORDER_NOT_EXIST":
            raise ProviderRefused(f"{body.get('code')}: {body.get('message')}")
