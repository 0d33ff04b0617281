"""Local fakes of Alipay's open-platform gateway and of WeChat Pay's APIv3, served over real HTTP.

Each fake is an `http.server.ThreadingHTTPServer` on 127.0.0.1 (a free port), served from a
daemon thread, holding its trades behind a lock: the app calls it from worker threads at once.
They speak the providers' wire formats and really sign and verify, with RSA keys generated when
the tests run (`key(name)`, cached per process), so the app's adapters run their SDKs
(python-alipay-sdk, wechatpayv3) unchanged against them; nothing is mocked.

- `FakeAlipay`: GET (or form POST) /gateway.do with the signed common parameters; requests are
  verified RSA2 with the app's public key over every parameter but `sign`, answers are signed
  with "Alipay's" private key over the exact `<method>_response` JSON text. `.open(url)` is the
  buyer's browser landing on a page-pay URL, `.pay()` the buyer paying, `.notification()` the
  form Alipay POSTs to the notify_url (signed over every field but `sign` and `sign_type`).
- `FakeWeChatPay`: APIv3 in WeChat Pay public-key mode. Requests carry the
  `WECHATPAY2-SHA256-RSA2048` Authorization, verified with the merchant's public key; answers
  carry `Wechatpay-*` headers signed with "WeChat Pay's" private key, whose public key and id the
  client is configured with. `.notification()` builds the callback: signed headers and a body
  whose resource is AES-256-GCM encrypted with the APIv3 key. Its one API v2 call, the customs
  declaration, is XML signed MD5 with the v2 key (`v2_key`), answered in XML signed the same way.
- `AlipaySetup` / `WeChatPaySetup`: keys written as the PEM files the app reads, a started fake,
  and the settings (`env` as KUAJING_* variables, `settings` as Settings field names).

Amounts: Alipay's are yuan strings with two decimals ("544.05"), WeChat Pay's integer fen.
Times: Alipay's "YYYY-MM-DD HH:MM:SS" in Beijing time, WeChat Pay's RFC 3339 with +08:00.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import re
import secrets
import string
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree import ElementTree

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# China has kept UTC+8 without daylight saving since 1991: a fixed offset is exact.
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
_ALIPAY_TIME = "%Y-%m-%d %H:%M:%S"


def beijing_now() -> datetime:
    return datetime.now(BEIJING).replace(microsecond=0)


def alipay_time(at: datetime | None = None) -> str:
    """Alipay's time format: "YYYY-MM-DD HH:MM:SS", Beijing time."""
    return (at or beijing_now()).astimezone(BEIJING).strftime(_ALIPAY_TIME)


def rfc3339(at: datetime | None = None) -> str:
    """WeChat Pay's time format: RFC 3339 to the second, "+08:00"."""
    return (at or beijing_now()).astimezone(BEIJING).isoformat(timespec="seconds")


def _digits(count: int) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(count))


def _alphanumeric(count: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(count))


# --------------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------------

_KEYS: dict[str, rsa.RSAPrivateKey] = {}
_KEYS_LOCK = threading.Lock()


def key(name: str) -> rsa.RSAPrivateKey:
    """An RSA 2048 key, generated once per name per process (generation costs ~0.1 s)."""
    with _KEYS_LOCK:
        found = _KEYS.get(name)
        if found is None:
            found = _KEYS[name] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return found


def private_pem(name: str) -> bytes:
    """`key(name)` as PEM, PKCS#8 unencrypted ("-----BEGIN PRIVATE KEY-----")."""
    return key(name).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(name: str) -> bytes:
    """`key(name)`'s public key as PEM, SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----")."""
    return (
        key(name)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


class TestKeys:
    """Key helpers for the tests. Not a test class (`__test__ = False` tells pytest)."""

    __test__ = False

    @staticmethod
    def rsa_pair(name: str = "default") -> tuple[bytes, bytes]:
        """(private PEM PKCS#8, public PEM SubjectPublicKeyInfo) of `key(name)`; pass a new name
        for a distinct key ("stranger" for one nobody trusts)."""
        return private_pem(name), public_pem(name)

    @staticmethod
    def write_pem(directory: Path, name: str, pem: bytes) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_bytes(pem)
        return path


@functools.lru_cache(maxsize=64)
def _load_private(pem: bytes) -> rsa.RSAPrivateKey:
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey), "not an RSA private key"
    return loaded


@functools.lru_cache(maxsize=64)
def _load_public(pem: bytes) -> rsa.RSAPublicKey:
    loaded = serialization.load_pem_public_key(pem)
    assert isinstance(loaded, rsa.RSAPublicKey), "not an RSA public key"
    return loaded


def sha256_rsa_sign(private_key_pem: bytes, message: str) -> str:
    """SHA256withRSA, PKCS#1 v1.5, base64 (Alipay's RSA2 and WeChat Pay's WECHATPAY2-SHA256-RSA2048)."""
    signature = _load_private(private_key_pem).sign(
        message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )
    return base64.b64encode(signature).decode("ascii")


def sha256_rsa_verify(public_key_pem: bytes, message: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        _load_public(public_key_pem).verify(raw, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# The HTTP plumbing both fakes share
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _FakeGateway:
    """A ThreadingHTTPServer on 127.0.0.1:<free port> in a daemon thread, answering through
    `_handle`. Subclasses keep their state behind `self._lock`."""

    name = "gateway"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._failures = 0
        self.calls = 0  # every HTTP request that reached the fake, outages included
        self.errors: list[str] = []  # tracebacks of the fake's own bugs (answered 500)

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Self:
        with self._lock:
            if self._server is not None:
                return self
            server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            server.daemon_threads = True
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-{self.name}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"the fake {self.name} is not started")
        return int(self._server.server_address[1])

    # outages -----------------------------------------------------------------------------------

    def fail_next(self, count: int = 1) -> None:
        """The next `count` HTTP calls answer as an outage (no state changes)."""
        with self._lock:
            self._failures += count

    def _take_failure(self) -> bool:
        with self._lock:
            self.calls += 1
            if self._failures > 0:
                self._failures -= 1
                return True
            return False

    def _handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        raise NotImplementedError


def _handler_for(fake: _FakeGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so stopping the fake leaves no idle keep-alive.
        server_version = f"fake-{fake.name}"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                reply = fake._handle(self.command, self.path, self.headers, body)
            except Exception:  # a bug in the fake itself: keep it for the test to see
                trace = traceback.format_exc()
                fake.errors.append(trace)
                reply = Reply(500, trace.encode(), {"Content-Type": "text/plain; charset=utf-8"})
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if reply.body:
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _deep_merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` merged into a copy of `base`, nested dicts merged too; a None value removes."""
    merged = copy.deepcopy(base)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(name), dict):
            merged[name] = _deep_merge(merged[name], value)
        else:
            merged[name] = copy.deepcopy(value)
    return merged


# --------------------------------------------------------------------------------------------
# Alipay
# --------------------------------------------------------------------------------------------


def alipay_request_content(params: Mapping[str, str]) -> str:
    """The string an Alipay *request* is signed over: every parameter but `sign` whose value is
    not empty, sorted by name, `k=v` joined by `&`, values as sent (not URL-encoded). `sign_type`
    is included (python-alipay-sdk's `sign_data` signs it too)."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")


def alipay_notify_content(params: Mapping[str, str]) -> str:
    """The string an Alipay *notification* is signed over: as for requests, but without `sign`
    and `sign_type` (what `AliPay.verify` rebuilds once it has popped `sign_type`)."""
    return "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v != ""
    )


def tamper(params: Mapping[str, str], **changes: str | None) -> dict[str, str]:
    """A copy of signed parameters changed after signing (a None value removes the field)."""
    changed = dict(params)
    for name, value in changes.items():
        if value is None:
            changed.pop(name, None)
        else:
            changed[name] = value
    return changed


def form_body(params: Mapping[str, str]) -> bytes:
    """The notification as the form body Alipay POSTs (application/x-www-form-urlencoded)."""
    return urlencode(params).encode("utf-8")


def _yuan(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _parse_yuan(text: Any) -> Decimal | None:
    """Alipay's Price: yuan with at most two decimals, 0.01 to 100000000."""
    try:
        amount = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    if not Decimal("0.01") <= amount <= Decimal("100000000"):
        return None
    return amount


class AlipayGatewayError(AssertionError):
    """What the cashier page shows when a page-pay URL is refused (`FakeAlipay.open`)."""

    def __init__(self, code: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(f"Alipay refused the page-pay URL: {code} {sub_code}: {sub_msg}")
        self.code, self.sub_code, self.sub_msg = code, sub_code, sub_msg


class FakeAlipay(_FakeGateway):
    """Alipay's openapi gateway.do (https://opendocs.alipay.com/common/02kf5q, RSA2 keys mode).

    Request rule: the common parameters (app_id, method, charset, sign_type, timestamp, version,
    biz_content, ...) are sent in the query string (python-alipay-sdk's `urlopen`) or as a form
    POST, signed SHA256withRSA with the app's private key over `alipay_request_content`.
    Answer rule: `{"<method with _>_response": {...}, "sign": "..."}`, the sign over the exact
    JSON text of the response object as it appears in the body. Business failures are signed
    answers with code 40004 ("Business Failed"); a request whose app id or signature is wrong
    gets an unsigned 40002 ("Invalid Arguments") answer.

    Trades (`trade(out_trade_no)`): total_amount "x.yy", subject, status WAIT_BUYER_PAY /
    TRADE_SUCCESS / TRADE_CLOSED, trade_no (assigned when the buyer opens the cashier), gmt_create,
    gmt_payment, refunds {out_request_no: "x.yy"}. As on Alipay, refunding the whole amount
    closes the trade (TRADE_CLOSED), a partial refund leaves it TRADE_SUCCESS.
    """

    name = "alipay"
    SELLER_ID = "2088102177846880"
    BUYER_ID = "2088102177846880"
    BUYER_LOGON_ID = "kua***@sandbox.com"
    REQUIRED = ("app_id", "method", "charset", "sign_type", "sign", "timestamp", "version")

    def __init__(
        self,
        app_id: str,
        app_public_pem: bytes,
        alipay_private_pem: bytes,
        *,
        max_clock_skew: timedelta | None = None,
    ) -> None:
        """`max_clock_skew`: when set, a request whose `timestamp`, read as Beijing time, is
        further than this from now is refused (isv.invalid-timestamp). Off by default."""
        super().__init__()
        self.app_id = app_id
        self.app_public_pem = app_public_pem
        self.alipay_private_pem = alipay_private_pem
        self.max_clock_skew = max_clock_skew
        self._trades: dict[str, dict[str, Any]] = {}
        self._refund_answers: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._apis: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "alipay.trade.query": self._query,
            "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
            "alipay.trade.close": self._close,
            "alipay.trade.customs.declare": self._customs_declare,
        }
        # who really paid each trade (name, ID number), as Alipay's real-name records know the
        # payer; unset, the orderer a declaration names is taken to be the payer
        self.payers: dict[str, tuple[str, str]] = {}
        self._declarations: dict[str, dict[str, Any]] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/gateway.do"

    tamper = staticmethod(tamper)
    form_body = staticmethod(form_body)

    # state ---------------------------------------------------------------------------------------

    def trade(self, out_trade_no: str) -> dict[str, Any]:
        """A copy of the trade's state (KeyError when Alipay never saw it)."""
        with self._lock:
            return copy.deepcopy(self._trades[out_trade_no])

    @property
    def trades(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._trades)

    def _find(self, biz: Mapping[str, Any]) -> dict[str, Any] | None:
        if biz.get("out_trade_no"):
            return self._trades.get(str(biz["out_trade_no"]))
        if biz.get("trade_no"):
            return next((t for t in self._trades.values() if t["trade_no"] == biz["trade_no"]), None)
        return None

    # checking a request ----------------------------------------------------------------------------

    def _refusal(self, params: Mapping[str, str]) -> tuple[str, str, str, str] | None:
        """(code, msg, sub_code, sub_msg) when the common parameters are refused, else None."""
        for name in self.REQUIRED:
            if not params.get(name):
                return (
                    "40001",
                    "Missing Required Arguments",
                    f"isv.missing-{name.replace('_', '-')}",
                    f"缺少{name}参数",
                )
        if params["app_id"] != self.app_id:
            return "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"
        if params["sign_type"] != "RSA2":
            return "40002", "Invalid Arguments", "isv.invalid-signature-type", "无效的签名类型"
        if params["charset"].lower() != "utf-8":
            return "40002", "Invalid Arguments", "isv.invalid-charset", "字符集错误"
        try:
            stamped = datetime.strptime(params["timestamp"], _ALIPAY_TIME).replace(tzinfo=BEIJING)
        except ValueError:
            return "40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数"
        if self.max_clock_skew is not None and abs(beijing_now() - stamped) > self.max_clock_skew:
            return "40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数"
        content = alipay_request_content(params)
        if not sha256_rsa_verify(self.app_public_pem, content, params["sign"]):
            return (
                "40002",
                "Invalid Arguments",
                "isv.invalid-signature",
                f"验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}",
            )
        return None

    @staticmethod
    def _biz_content(params: Mapping[str, str]) -> dict[str, Any] | None:
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except json.JSONDecodeError:
            return None
        return biz if isinstance(biz, dict) else None

    # the buyer's side ------------------------------------------------------------------------------

    def open(self, redirect_url: str) -> dict[str, Any]:
        """The buyer's browser landing on a page-pay URL (alipay.trade.page.pay): the request is
        checked as the gateway checks any (app id, RSA2 signature) and the trade registered,
        WAIT_BUYER_PAY. Returns the biz_content; raises AlipayGatewayError (an AssertionError)
        with Alipay's sub_code when the cashier would refuse the URL."""
        split = urlsplit(redirect_url)
        own = urlsplit(self.gateway_url)
        if (split.hostname, split.port, split.path) != (own.hostname, own.port, own.path):
            raise AssertionError(
                f"the page-pay URL {redirect_url!r} is not for this gateway ({self.gateway_url})"
            )
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        return self._open(params)

    def _open(self, params: Mapping[str, str]) -> dict[str, Any]:
        refusal = self._refusal(params)
        if refusal is not None:
            code, _, sub_code, sub_msg = refusal
            raise AlipayGatewayError(code, sub_code, sub_msg)
        if params["method"] != "alipay.trade.page.pay":
            raise AlipayGatewayError("40002", "isv.invalid-method", f"not a page pay: {params['method']}")
        biz = self._biz_content(params)
        if biz is None:
            raise AlipayGatewayError("40002", "isv.invalid-biz-content", "biz_content is not a JSON object")
        for name in ("out_trade_no", "total_amount", "subject"):
            if not biz.get(name):
                raise AlipayGatewayError("40004", "ACQ.INVALID_PARAMETER", f"参数无效: 缺少 {name}")
        amount = _parse_yuan(biz["total_amount"])
        if amount is None:
            raise AlipayGatewayError(
                "40004", "ACQ.INVALID_PARAMETER", f"total_amount 无效: {biz['total_amount']!r}"
            )
        out_trade_no = str(biz["out_trade_no"])
        with self._lock:
            self.requests.append((params["method"], copy.deepcopy(biz)))
            trade = self._trades.get(out_trade_no)
            if trade is None:
                self._trades[out_trade_no] = {
                    "out_trade_no": out_trade_no,
                    "total_amount": _yuan(amount),
                    "subject": str(biz["subject"]),
                    "status": "WAIT_BUYER_PAY",
                    "trade_no": beijing_now().strftime("%Y%m%d") + "22001" + _digits(15),
                    "gmt_create": alipay_time(),
                    "gmt_payment": None,
                    "buyer_pay_amount": None,
                    "refunds": {},
                    "notify_url": params.get("notify_url"),
                    "return_url": params.get("return_url"),
                    "biz_content": copy.deepcopy(biz),
                }
            elif trade["status"] == "TRADE_SUCCESS":
                raise AlipayGatewayError("40004", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            elif trade["status"] == "TRADE_CLOSED":
                raise AlipayGatewayError("40004", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            elif trade["total_amount"] != _yuan(amount) or trade["subject"] != str(biz["subject"]):
                raise AlipayGatewayError("40004", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        return biz

    def pay(self, out_trade_no: str, amount: str | None = None) -> dict[str, Any]:
        """The buyer pays: TRADE_SUCCESS, gmt_payment now. `amount` is what the buyer paid
        (buyer_pay_amount, after Alipay's own discounts), the total by default. Returns the trade."""
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                raise AssertionError(f"Alipay has no trade {out_trade_no!r}: open its page-pay URL first")
            if trade["status"] != "WAIT_BUYER_PAY":
                raise AssertionError(f"trade {out_trade_no!r} is {trade['status']}, it cannot be paid")
            paid = _parse_yuan(amount) if amount is not None else Decimal(trade["total_amount"])
            if paid is None:
                raise AssertionError(f"not an amount: {amount!r}")
            trade.update(status="TRADE_SUCCESS", gmt_payment=alipay_time(), buyer_pay_amount=_yuan(paid))
            return copy.deepcopy(trade)

    # notifications ----------------------------------------------------------------------------------

    def notification(
        self, out_trade_no: str, *, signer_pem: bytes | None = None, **overrides: str | None
    ) -> dict[str, str]:
        """The asynchronous notification Alipay POSTs to the notify_url (form fields) when the
        trade is paid (https://opendocs.alipay.com/open/270/105902): trade_status TRADE_SUCCESS
        once paid, the trade's status before. `overrides` change or
        (None) remove fields BEFORE signing; the sign is RSA2 over `alipay_notify_content`, with
        `signer_pem` or Alipay's private key. Use `tamper()` to change fields after signing."""
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                raise AssertionError(f"Alipay has no trade {out_trade_no!r}")
            trade = copy.deepcopy(trade)
        paid = trade["buyer_pay_amount"] or "0.00"
        params: dict[str, str | None] = {
            "notify_time": alipay_time(),
            "notify_type": "trade_status_sync",
            "notify_id": "2026" + uuid.uuid4().hex,
            "app_id": self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade["trade_no"],
            "out_trade_no": out_trade_no,
            "total_amount": trade["total_amount"],
            "receipt_amount": trade["total_amount"] if trade["gmt_payment"] else "0.00",
            "invoice_amount": trade["total_amount"] if trade["gmt_payment"] else "0.00",
            "buyer_pay_amount": paid,
            "point_amount": "0.00",
            # the payment's notification; refund_notification() tells the trade's later status
            "trade_status": "TRADE_SUCCESS" if trade["gmt_payment"] else trade["status"],
            "gmt_create": trade["gmt_create"],
            "gmt_payment": trade["gmt_payment"],
            "subject": trade["subject"],
            "buyer_id": self.BUYER_ID,
            "buyer_logon_id": self.BUYER_LOGON_ID,
            "seller_id": self.SELLER_ID,
            "fund_bill_list": json.dumps(
                [{"amount": paid, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")
            ),
        }
        params.update(overrides)
        return self.sign_notification(
            {k: v for k, v in params.items() if v is not None}, signer_pem=signer_pem
        )

    def refund_notification(
        self,
        out_trade_no: str,
        out_request_no: str,
        *,
        signer_pem: bytes | None = None,
        **overrides: str | None,
    ) -> dict[str, str]:
        """The trade_status_sync notification Alipay sends after a refund: out_biz_no is the
        refund's out_request_no, refund_fee the amount refunded so far, gmt_refund its time."""
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None or out_request_no not in trade["refunds"]:
                raise AssertionError(f"Alipay made no refund {out_request_no!r} on trade {out_trade_no!r}")
            refunded = sum((Decimal(v) for v in trade["refunds"].values()), Decimal(0))
            status = trade["status"]
        fields: dict[str, str | None] = {
            "trade_status": status,
            "out_biz_no": out_request_no,
            "refund_fee": _yuan(refunded),
            "gmt_refund": alipay_time() + ".000",
        }
        fields.update(overrides)
        return self.notification(out_trade_no, signer_pem=signer_pem, **fields)

    def sign_notification(
        self, params: Mapping[str, str], *, signer_pem: bytes | None = None
    ) -> dict[str, str]:
        """`params` with `sign` set: RSA2 over every field but sign and sign_type, non-empty."""
        signed = {k: v for k, v in params.items() if k != "sign"}
        signed["sign"] = sha256_rsa_sign(signer_pem or self.alipay_private_pem, alipay_notify_content(signed))
        return signed

    # HTTP ------------------------------------------------------------------------------------------

    def _handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        split = urlsplit(target)
        if split.path != "/gateway.do":
            return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
        if self._take_failure():
            return Reply(
                502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"}
            )
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        if method == "POST" and body:
            params.update(parse_qsl(body.decode(params.get("charset") or "utf-8"), keep_blank_values=True))
        elif method != "GET":
            return Reply(405, b"Method Not Allowed", {"Content-Type": "text/plain"})
        api = params.get("method", "")
        if api == "alipay.trade.page.pay":
            return self._cashier(params)
        response_key = f"{api.replace('.', '_')}_response" if api else "error_response"
        refusal = self._refusal(params)
        if refusal is not None:
            code, msg, sub_code, sub_msg = refusal
            return self._unsigned(
                response_key, {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}
            )
        biz = self._biz_content(params)
        if biz is None:
            failure = self._failure("ACQ.INVALID_PARAMETER", "参数无效: biz_content")
            return self._signed(response_key, failure)
        call = self._apis.get(api)
        if call is None:
            answer = {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": "isv.invalid-method",
                "sub_msg": "不存在的方法名",
            }
            return self._unsigned("error_response", answer)
        with self._lock:
            self.requests.append((api, copy.deepcopy(biz)))
            answer = call(biz)
        return self._signed(response_key, answer)

    def _cashier(self, params: Mapping[str, str]) -> Reply:
        """A browser following the page-pay redirect: the cashier page, or Alipay's error page."""
        try:
            biz = self._open(params)
        except AlipayGatewayError as refused:
            page = (
                "<html><head><title>支付宝 - 错误</title></head><body>"
                f"<p id='sub_code'>{refused.sub_code}</p><p>{refused.sub_msg}</p></body></html>"
            )
            return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        page = (
            "<html><head><title>支付宝 - 网上支付 安全快速！</title></head><body>"
            f"<p id='out_trade_no'>{biz['out_trade_no']}</p><p id='total_amount'>{biz['total_amount']}</p>"
            f"<p id='subject'>{biz['subject']}</p></body></html>"
        )
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @staticmethod
    def _response_text(response_key: str, inner: str, sign: str | None) -> bytes:
        text = f'{{"{response_key}":{inner}'
        if sign is not None:
            text += f',"sign":"{sign}"'
        return (text + "}").encode("utf-8")

    def _signed(self, response_key: str, answer: Mapping[str, Any]) -> Reply:
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        sign = sha256_rsa_sign(self.alipay_private_pem, inner)
        return Reply(
            200, self._response_text(response_key, inner, sign), {"Content-Type": "text/html;charset=utf-8"}
        )

    def _unsigned(self, response_key: str, answer: Mapping[str, Any]) -> Reply:
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        return Reply(
            200, self._response_text(response_key, inner, None), {"Content-Type": "text/html;charset=utf-8"}
        )

    @staticmethod
    def _failure(sub_code: str, sub_msg: str, **extra: str) -> dict[str, Any]:
        return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg, **extra}

    # the APIs (called under the lock) --------------------------------------------------------------

    def _query(self, biz: dict[str, Any]) -> dict[str, Any]:
        """alipay.trade.query (https://opendocs.alipay.com/open/028woa)."""
        trade = self._find(biz)
        if trade is None:
            return self._failure(
                "ACQ.TRADE_NOT_EXIST",
                "交易不存在",
                out_trade_no=str(biz.get("out_trade_no", "")),
                buyer_pay_amount="0.00",
                invoice_amount="0.00",
                point_amount="0.00",
                receipt_amount="0.00",
            )
        paid = trade["gmt_payment"] is not None
        answer: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "trade_status": trade["status"],
            "total_amount": trade["total_amount"],
            "buyer_pay_amount": trade["buyer_pay_amount"] if paid else "0.00",
            "receipt_amount": trade["total_amount"] if paid else "0.00",
            "invoice_amount": trade["total_amount"] if paid else "0.00",
            "point_amount": "0.00",
        }
        if paid:
            answer.update(
                buyer_logon_id=self.BUYER_LOGON_ID,
                buyer_user_id=self.BUYER_ID,
                send_pay_date=trade["gmt_payment"],
                fund_bill_list=[{"amount": trade["buyer_pay_amount"], "fund_channel": "ALIPAYACCOUNT"}],
            )
        return answer

    def _refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        """alipay.trade.refund (https://opendocs.alipay.com/open/028sm9): idempotent per
        out_request_no (absent: the out_trade_no, a full refund); the refunds of a trade may not
        exceed its total (ACQ.REFUND_AMT_NOT_EQUAL_TOTAL, "退款金额超限")."""
        trade = self._find(biz)
        if trade is None:
            return self._failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        amount = _parse_yuan(biz.get("refund_amount"))
        if amount is None:
            return self._failure(
                "ACQ.INVALID_PARAMETER", f"参数无效: refund_amount {biz.get('refund_amount')!r}"
            )
        request_no = str(biz.get("out_request_no") or trade["out_trade_no"])
        first = self._refund_answers.get((trade["out_trade_no"], request_no))
        if first is not None:
            if trade["refunds"][request_no] != _yuan(amount):
                return self._failure("ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求")
            return {**first, "fund_change": "N"}
        refunded = sum((Decimal(v) for v in trade["refunds"].values()), Decimal(0))
        total = Decimal(trade["total_amount"])
        if trade["status"] == "TRADE_CLOSED" and trade["refunds"]:
            return self._failure("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
        if trade["status"] != "TRADE_SUCCESS":
            return self._failure("ACQ.TRADE_STATUS_ERROR", "交易状态非法")
        if refunded + amount > total or (not biz.get("out_request_no") and amount != total):
            return self._failure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
        trade["refunds"][request_no] = _yuan(amount)
        refunded += amount
        if refunded == total:
            trade["status"] = "TRADE_CLOSED"
        answer = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "buyer_logon_id": self.BUYER_LOGON_ID,
            "buyer_user_id": self.BUYER_ID,
            "fund_change": "Y",
            "refund_fee": _yuan(refunded),
            "send_back_fee": _yuan(amount),
            "gmt_refund_pay": alipay_time(),
        }
        self._refund_answers[(trade["out_trade_no"], request_no)] = answer
        return dict(answer)

    def _refund_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        """alipay.trade.fastpay.refund.query (https://opendocs.alipay.com/open/028sma): a refund
        that was never made is a *successful* answer without refund_status."""
        trade = self._find(biz)
        if trade is None:
            return self._failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        request_no = str(biz.get("out_request_no") or "")
        answer: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": trade["out_trade_no"],
            "out_request_no": request_no,
        }
        refund = trade["refunds"].get(request_no)
        if refund is not None:
            answer.update(
                trade_no=trade["trade_no"],
                refund_amount=refund,
                total_amount=trade["total_amount"],
                refund_status="REFUND_SUCCESS",
            )
        return answer

    def _customs_declare(self, biz: dict[str, Any]) -> dict[str, Any]:
        """alipay.trade.customs.declare: a paid trade declared to a customs office; identity_check
        compares the orderer given (buyer_info) with the payer, on the first declaration only;
        the same out_request_no again answers the first declaration without it."""
        trade = next((t for t in self._trades.values() if t["trade_no"] == biz.get("trade_no")), None)
        if trade is None:
            return self._failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade["status"] != "TRADE_SUCCESS":
            return self._failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        for name in (
            "out_request_no",
            "merchant_customs_code",
            "merchant_customs_name",
            "amount",
            "customs_place",
        ):
            if not biz.get(name):
                return self._failure("ACQ.INVALID_PARAMETER", f"参数无效: {name}")
        request_no = str(biz["out_request_no"])
        if request_no in self._declarations:
            return {k: v for k, v in self._declarations[request_no].items() if k != "identity_check"}
        answer: dict[str, Any] = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "alipay_declare_no": "2026" + _digits(24),
        }
        buyer = biz.get("buyer_info") or {}
        if buyer:
            payer = self.payers.get(trade["out_trade_no"], (buyer.get("name"), buyer.get("cert_no")))
            answer["identity_check"] = "T" if (buyer.get("name"), buyer.get("cert_no")) == payer else "F"
        self._declarations[request_no] = answer
        return dict(answer)

    def _close(self, biz: dict[str, Any]) -> dict[str, Any]:
        """alipay.trade.close (https://opendocs.alipay.com/open/028wob): only a trade waiting for
        the buyer can be closed."""
        trade = self._find(biz)
        if trade is None:
            return self._failure("ACQ.TRADE_NOT_EXIST", "交易不存在")
        if trade["status"] != "WAIT_BUYER_PAY":
            return self._failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        trade["status"] = "TRADE_CLOSED"
        return {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
        }


# --------------------------------------------------------------------------------------------
# WeChat Pay APIv3
# --------------------------------------------------------------------------------------------

_AUTHORIZATION = re.compile(r'(\w+)="([^"]*)"')
_OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-*|@]{6,32}$")
_OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-*|@]{1,64}$")
_TRADE_STATE_DESC = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
    "REFUND": "转入退款",
}


def md5_v2_sign(fields: Mapping[str, str], key: str) -> str:
    """WeChat Pay API v2's MD5 signature (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?
    chapter=4_3): the fields with a value, except sign, in ASCII order of their names as
    name=value&…, then "&key=" and the v2 key, MD5, upper-case hex."""
    pairs = sorted((name, value) for name, value in fields.items() if name != "sign" and value)
    plain = "&".join(f"{name}={value}" for name, value in pairs) + f"&key={key}"
    return hashlib.md5(plain.encode("utf-8")).hexdigest().upper()


def wechatpay_request_message(method: str, path: str, timestamp: str, nonce: str, body: str) -> str:
    """What a merchant signs (https://pay.weixin.qq.com/doc/v3/merchant/4012365336): the method,
    the path with its query, the timestamp, the nonce and the body ("" for GET), each followed by
    a newline."""
    return f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"


def wechatpay_response_message(timestamp: str, nonce: str, body: str) -> str:
    """What WeChat Pay signs in answers and callbacks: timestamp, nonce and body ("" for a 204),
    each followed by a newline."""
    return f"{timestamp}\n{nonce}\n{body}\n"


def aes_gcm_encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: str) -> str:
    """AEAD_AES_256_GCM as WeChat Pay encrypts callback resources: key = the APIv3 key's bytes,
    nonce and associated data as UTF-8, the result base64 of ciphertext + 16-byte tag (what
    wechatpayv3.utils.aes_decrypt takes apart)."""
    sealed = AESGCM(apiv3_key.encode("utf-8")).encrypt(
        nonce.encode("utf-8"), plaintext.encode("utf-8"), associated_data.encode("utf-8")
    )
    return base64.b64encode(sealed).decode("ascii")


class FakeWeChatPay(_FakeGateway):
    """WeChat Pay APIv3 (https://pay.weixin.qq.com/doc/v3/merchant/4012081709), Native payments,
    in WeChat Pay public-key mode: answers are signed with the platform private key and carry
    `Wechatpay-Serial: <public_key_id>`, so a client configured with the platform public key and
    its id never downloads platform certificates.

    Requests must carry `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=..,nonce_str=..,
    signature=..,timestamp=..,serial_no=..`, verified with the merchant public key; a wrong
    signature, mchid, serial number or a timestamp off by more than `max_clock_skew` seconds is
    answered 401 SIGN_ERROR. Errors are `{"code": ..., "message": ...}`.

    Transactions (`trade(out_trade_no)`): trade_state NOTPAY / SUCCESS / CLOSED / REFUND (WeChat
    Pay's "转入退款" once any refund was made), amounts in fen. Refunds (`refund(out_refund_no)`):
    status SUCCESS, or PROCESSING while `refunds_processing` is set, until `settle_refunds()`.
    """

    name = "wechatpay"
    OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

    def __init__(
        self,
        mchid: str,
        appid: str,
        merchant_public_pem: bytes,
        merchant_serial_no: str,
        platform_private_pem: bytes,
        public_key_id: str,
        apiv3_key: str,
        *,
        max_clock_skew: int | None = 300,
    ) -> None:
        super().__init__()
        self.mchid = mchid
        self.appid = appid
        self.merchant_public_pem = merchant_public_pem
        self.merchant_serial_no = merchant_serial_no
        self.platform_private_pem = platform_private_pem
        self.public_key_id = public_key_id
        self.apiv3_key = apiv3_key
        self.max_clock_skew = max_clock_skew
        self.refunds_processing = False
        self._trades: dict[str, dict[str, Any]] = {}
        self._refunds: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any] | None]] = []
        # API v2 (the customs declaration): the merchant's v2 key; who really paid each order
        # (name, ID number), as WeChat Pay's real-name records know the payer, unset meaning the
        # orderer named; the declarations made, by (out_trade_no, customs)
        self.v2_key = _alphanumeric(32)
        self.payers: dict[str, tuple[str, str]] = {}
        self.declarations: dict[tuple[str, str], dict[str, str]] = {}
        self.v2_answer_key: str | None = None  # set, answers are signed with this key instead
        # merged into the next declarations' answers (e.g. {"state": "FAIL"}, or
        # {"result_code": "FAIL", "err_code": "SYSTEMERROR"}); such an answer is not kept
        self.declaration_answer: dict[str, str] = {}

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # state ---------------------------------------------------------------------------------------

    def trade(self, out_trade_no: str) -> dict[str, Any]:
        """A copy of the order's state (KeyError when WeChat Pay never saw it)."""
        with self._lock:
            return copy.deepcopy(self._trades[out_trade_no])

    def refund(self, out_refund_no: str) -> dict[str, Any]:
        """A copy of the refund as the refund query answers it (KeyError when unknown)."""
        with self._lock:
            return copy.deepcopy(self._refunds[out_refund_no])

    @property
    def trades(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._trades)

    @property
    def refunds(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._refunds)

    # the payer's side -----------------------------------------------------------------------------

    def pay(self, out_trade_no: str, payer_total: int | None = None) -> dict[str, Any]:
        """The payer scans the code_url and pays: SUCCESS, a transaction_id, success_time now.
        `payer_total` is what the payer paid (after WeChat's own discounts), the total by default.
        Returns the transaction as the query answers it."""
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                raise AssertionError(
                    f"WeChat Pay has no order {out_trade_no!r}: place the Native order first"
                )
            if trade["trade_state"] != "NOTPAY":
                raise AssertionError(f"order {out_trade_no!r} is {trade['trade_state']}, it cannot be paid")
            trade.update(
                trade_state="SUCCESS",
                transaction_id="4200001" + beijing_now().strftime("%Y%m%d") + _digits(13),
                success_time=rfc3339(),
                payer_total=trade["total"] if payer_total is None else payer_total,
            )
            return self._transaction(trade)

    def close_refund(self, out_refund_no: str) -> None:
        """A PROCESSING refund WeChat Pay gives up on (CLOSED): its amount is refundable again."""
        with self._lock:
            refund = self._refunds[out_refund_no]
            assert refund["status"] == "PROCESSING", refund["status"]
            refund["status"] = "CLOSED"
            self._trades[refund["out_trade_no"]]["refunded"] -= refund["amount"]["refund"]

    def settle_refunds(self) -> None:
        """Every PROCESSING refund reaches the payer: SUCCESS, success_time now."""
        with self._lock:
            for refund in self._refunds.values():
                if refund["status"] == "PROCESSING":
                    refund.update(status="SUCCESS", success_time=rfc3339())

    # notifications ----------------------------------------------------------------------------------

    def notification(
        self,
        out_trade_no: str,
        *,
        event_type: str = "TRANSACTION.SUCCESS",
        signer_pem: bytes | None = None,
        apiv3_key: str | None = None,
        plaintext_overrides: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The payment callback (https://pay.weixin.qq.com/doc/v3/merchant/4012791861): headers
        and JSON body. The resource decrypts to the transaction as the query answers it, with
        `plaintext_overrides` merged in (nested dicts merged, None removes). `signer_pem` signs
        the headers with another key, `apiv3_key` encrypts with another APIv3 key."""
        with self._lock:
            trade = self._trades.get(out_trade_no)
            if trade is None:
                raise AssertionError(f"WeChat Pay has no order {out_trade_no!r}")
            plaintext = self._transaction(trade)
        if plaintext["trade_state"] == "REFUND":  # the payment callback tells of the payment
            plaintext.update(trade_state="SUCCESS", trade_state_desc=_TRADE_STATE_DESC["SUCCESS"])
        plaintext = _deep_merge(plaintext, plaintext_overrides or {})
        return self._callback(event_type, "支付成功", "transaction", plaintext, signer_pem, apiv3_key)

    def refund_notification(
        self,
        out_refund_no: str,
        *,
        event_type: str = "REFUND.SUCCESS",
        signer_pem: bytes | None = None,
        apiv3_key: str | None = None,
        plaintext_overrides: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The refund callback (https://pay.weixin.qq.com/doc/v3/merchant/4012791865):
        event_type REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED, resource "refund"."""
        with self._lock:
            refund = self._refunds.get(out_refund_no)
            if refund is None:
                raise AssertionError(f"WeChat Pay made no refund {out_refund_no!r}")
            refund = copy.deepcopy(refund)
        status = {"REFUND.SUCCESS": "SUCCESS", "REFUND.ABNORMAL": "ABNORMAL", "REFUND.CLOSED": "CLOSED"}
        plaintext: dict[str, Any] = {
            "mchid": self.mchid,
            "out_trade_no": refund["out_trade_no"],
            "transaction_id": refund["transaction_id"],
            "out_refund_no": refund["out_refund_no"],
            "refund_id": refund["refund_id"],
            "refund_status": status.get(event_type, refund["status"]),
            "success_time": refund.get("success_time") or rfc3339(),
            "user_received_account": refund["user_received_account"],
            "amount": {
                "total": refund["amount"]["total"],
                "refund": refund["amount"]["refund"],
                "payer_total": refund["amount"]["payer_total"],
                "payer_refund": refund["amount"]["payer_refund"],
            },
        }
        if plaintext["refund_status"] != "SUCCESS":
            del plaintext["success_time"]
        plaintext = _deep_merge(plaintext, plaintext_overrides or {})
        return self._callback(event_type, "退款状态改变", "refund", plaintext, signer_pem, apiv3_key)

    def _callback(
        self,
        event_type: str,
        summary: str,
        original_type: str,
        plaintext: Mapping[str, Any],
        signer_pem: bytes | None,
        apiv3_key: str | None,
    ) -> tuple[dict[str, str], bytes]:
        nonce = _alphanumeric(12)
        text = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":"))
        envelope = {
            "id": str(uuid.uuid4()),
            "create_time": rfc3339(),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": aes_gcm_encrypt(apiv3_key or self.apiv3_key, nonce, original_type, text),
                "associated_data": original_type,
                "nonce": nonce,
            },
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", **self.signature_headers(body, signer_pem=signer_pem)}
        return headers, body

    def signature_headers(self, body: bytes, *, signer_pem: bytes | None = None) -> dict[str, str]:
        """The Wechatpay-* headers of an answer or callback carrying `body`."""
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex.upper()
        message = wechatpay_response_message(timestamp, nonce, body.decode("utf-8"))
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": self.public_key_id,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Wechatpay-Signature": sha256_rsa_sign(signer_pem or self.platform_private_pem, message),
        }

    # HTTP ------------------------------------------------------------------------------------------

    def _reply(self, status: int, payload: Mapping[str, Any] | None = None) -> Reply:
        body = (
            b""
            if payload is None
            else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        )
        headers = {"Request-ID": uuid.uuid4().hex, **self.signature_headers(body)}
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return Reply(status, body, headers)

    def _error(self, status: int, code: str, message: str) -> Reply:
        return self._reply(status, {"code": code, "message": message})

    def _authentication_problem(self, method: str, target: str, headers: Message, body: str) -> str | None:
        authorization = headers.get("Authorization") or ""
        scheme, _, rest = authorization.partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            return "错误的签名方案: Authorization 应为 WECHATPAY2-SHA256-RSA2048"
        fields = dict(_AUTHORIZATION.findall(rest))
        missing = [
            n for n in ("mchid", "nonce_str", "signature", "timestamp", "serial_no") if not fields.get(n)
        ]
        if missing:
            return f"Authorization 缺少 {', '.join(missing)}"
        if fields["mchid"] != self.mchid:
            return f"商户号 {fields['mchid']} 与签名不匹配"
        if fields["serial_no"].upper() != self.merchant_serial_no.upper():
            return f"商户证书序列号 {fields['serial_no']} 有误"
        try:
            stamped = int(fields["timestamp"])
        except ValueError:
            return "timestamp 不是整数秒"
        if self.max_clock_skew is not None and abs(time.time() - stamped) > self.max_clock_skew:
            return "请求的时间戳已过期"
        message = wechatpay_request_message(method, target, fields["timestamp"], fields["nonce_str"], body)
        if not sha256_rsa_verify(self.merchant_public_pem, message, fields["signature"]):
            return "签名错误，请检查后再试"
        return None

    def _handle(self, method: str, target: str, headers: Message, body: bytes) -> Reply:
        if self._take_failure():
            outage = json.dumps({"code": "SYSTEM_ERROR", "message": "系统错误"}, ensure_ascii=False)
            return Reply(500, outage.encode(), {"Content-Type": "application/json; charset=utf-8"})
        if method == "POST" and urlsplit(target).path == "/cgi-bin/mch/customs/customdeclareorder":
            with self._lock:
                return self._customs_declare_v2(body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return self._error(400, "PARAM_ERROR", "请求体不是 UTF-8")
        problem = self._authentication_problem(method, target, headers, text)
        if problem is not None:
            return self._error(401, "SIGN_ERROR", problem)
        serial = headers.get("Wechatpay-Serial")
        if serial is not None and serial != self.public_key_id:
            return self._error(400, "PARAM_ERROR", f"Wechatpay-Serial {serial} 不是有效的微信支付公钥ID")
        try:
            payload = json.loads(text) if text else None
        except json.JSONDecodeError:
            return self._error(400, "PARAM_ERROR", "请求体不是 JSON")
        if payload is not None and not isinstance(payload, dict):
            return self._error(400, "PARAM_ERROR", "请求体不是 JSON 对象")
        split = urlsplit(target)
        query = dict(parse_qsl(split.query))
        with self._lock:
            self.requests.append((method, target, copy.deepcopy(payload)))
            for route_method, pattern, call in self._routes():
                matched = re.fullmatch(pattern, split.path)
                if matched and method == route_method:
                    return call(*matched.groups(), query=query, payload=payload or {})
        return self._error(404, "NOT_FOUND", f"无效的请求 {method} {split.path}")

    def _routes(self) -> list[tuple[str, str, Callable[..., Reply]]]:
        return [
            ("POST", r"/v3/pay/transactions/native", self._native),
            ("GET", r"/v3/pay/transactions/out-trade-no/([^/]+)", self._query),
            ("GET", r"/v3/pay/transactions/id/([^/]+)", self._query_by_id),
            ("POST", r"/v3/pay/transactions/out-trade-no/([^/]+)/close", self._close),
            ("POST", r"/v3/refund/domestic/refunds", self._refund),
            ("GET", r"/v3/refund/domestic/refunds/([^/]+)", self._query_refund),
        ]

    # API v2: the customs declaration ---------------------------------------------------------------

    def _v2_reply(self, fields: Mapping[str, str]) -> Reply:
        answer = dict(fields)
        if answer.get("return_code") == "SUCCESS":
            answer["sign"] = md5_v2_sign(answer, self.v2_answer_key or self.v2_key)
        root = ElementTree.Element("xml")
        for name, value in answer.items():
            ElementTree.SubElement(root, name).text = value
        return Reply(200, ElementTree.tostring(root, encoding="utf-8"), {"Content-Type": "text/xml"})

    def _customs_declare_v2(self, body: bytes) -> Reply:
        """POST /cgi-bin/mch/customs/customdeclareorder (订单附加信息提交,
        https://pay.weixin.qq.com/wiki/doc/api/external/declarecustom.php?chapter=18_1): XML,
        MD5-signed with the v2 key. A bad signature or XML is a communication failure
        (return_code FAIL); a business failure is result_code FAIL with err_code. The order must
        be paid and its transaction_id match. cert_check_result compares the orderer named
        (cert_id, name) with the payer. The same order and customs again answers the first
        declaration (action_type ADD is not a second declaration)."""
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            return self._v2_reply({"return_code": "FAIL", "return_msg": "XML格式错误"})
        fields = {child.tag: child.text or "" for child in root}
        self.requests.append(("POST", "/cgi-bin/mch/customs/customdeclareorder", dict(fields)))
        if fields.get("sign") != md5_v2_sign(fields, self.v2_key):
            return self._v2_reply({"return_code": "FAIL", "return_msg": "签名错误"})
        base = {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "appid": self.appid,
            "mch_id": self.mchid,
            "sign_type": "MD5",
        }

        def failure(code: str, description: str) -> Reply:
            refused = {"result_code": "FAIL", "err_code": code, "err_code_des": description}
            return self._v2_reply(base | refused)

        for name in ("appid", "mch_id", "out_trade_no", "transaction_id", "customs", "mch_customs_no"):
            if not fields.get(name):
                return failure("PARAM_ERROR", f"缺少参数 {name}")
        if fields["appid"] != self.appid or fields["mch_id"] != self.mchid:
            return failure("PARAM_ERROR", "appid 与 mch_id 不匹配")
        trade = self._trades.get(fields["out_trade_no"])
        if trade is None or trade["transaction_id"] != fields["transaction_id"]:
            return failure("ORDERNOTEXIST", "订单不存在")
        if trade["trade_state"] not in ("SUCCESS", "REFUND"):
            return failure("ORDERNOTPAY", "订单未支付")
        if fields.get("cert_type") not in (None, "IDCARD"):
            return failure("PARAM_ERROR", "cert_type 仅支持 IDCARD")
        if self.declaration_answer:
            return self._v2_reply(base | {"result_code": "SUCCESS"} | self.declaration_answer)
        declared = self.declarations.get((fields["out_trade_no"], fields["customs"]))
        if declared is None:
            orderer = (fields.get("name"), fields.get("cert_id"))
            check = "UNCHECKED"
            if orderer[1]:
                check = "SAME" if self.payers.get(fields["out_trade_no"], orderer) == orderer else "DIFFERENT"
            declared = {
                "result_code": "SUCCESS",
                "state": "SUBMITTED",
                "transaction_id": trade["transaction_id"],
                "out_trade_no": fields["out_trade_no"],
                "modify_time": beijing_now().strftime("%Y%m%d%H%M%S"),
                "cert_check_result": check,
                "verify_department": "UNIONPAY",
                "verify_department_trade_id": "4101" + _digits(24),
            }
            self.declarations[(fields["out_trade_no"], fields["customs"])] = declared
        return self._v2_reply(base | declared)

    # the APIs (called under the lock) --------------------------------------------------------------

    def _transaction(self, trade: Mapping[str, Any]) -> dict[str, Any]:
        """The transaction object of the order query and of the payment callback."""
        answer: dict[str, Any] = {
            "appid": trade["appid"],
            "mchid": trade["mchid"],
            "out_trade_no": trade["out_trade_no"],
            "trade_type": "NATIVE",
            "trade_state": trade["trade_state"],
            "trade_state_desc": _TRADE_STATE_DESC[trade["trade_state"]],
            "attach": trade["attach"],
            "amount": {"total": trade["total"], "currency": "CNY", "payer_currency": "CNY"},
            "promotion_detail": [],
        }
        if trade["transaction_id"]:
            answer.update(
                transaction_id=trade["transaction_id"],
                bank_type="OTHERS",
                success_time=trade["success_time"],
                payer={"openid": self.OPENID},
            )
            answer["amount"]["payer_total"] = trade["payer_total"]
        return answer

    def _native(self, *, query: Mapping[str, str], payload: dict[str, Any]) -> Reply:
        """POST /v3/pay/transactions/native (https://pay.weixin.qq.com/doc/v3/merchant/4012791877).
        The same out_trade_no again with the same description and amount answers the same
        code_url; with others, 400 INVALID_REQUEST "201 商户订单号重复"."""
        if payload.get("appid") != self.appid or payload.get("mchid") != self.mchid:
            return self._error(400, "APPID_MCHID_NOT_MATCH", "AppID和mch_id不匹配")
        description, out_trade_no = payload.get("description"), payload.get("out_trade_no")
        amount = payload.get("amount")
        if not isinstance(description, str) or not 1 <= len(description) <= 127:
            return self._error(400, "PARAM_ERROR", "description 必填，长度 1 到 127")
        if not isinstance(out_trade_no, str) or not _OUT_TRADE_NO.match(out_trade_no):
            return self._error(
                400, "PARAM_ERROR", f"out_trade_no {out_trade_no!r} 须为 6 到 32 位数字、大小写字母或 _-*|@"
            )
        if not payload.get("notify_url"):
            return self._error(400, "PARAM_ERROR", "notify_url 必填")
        if not isinstance(amount, dict) or not isinstance(amount.get("total"), int) or amount["total"] < 1:
            return self._error(400, "PARAM_ERROR", "amount.total 须为正整数（分）")
        if amount.get("currency", "CNY") != "CNY":
            return self._error(400, "PARAM_ERROR", "amount.currency 仅支持 CNY")
        time_expire = payload.get("time_expire")
        if time_expire is not None:
            try:
                expires = datetime.fromisoformat(str(time_expire))
            except ValueError:
                expires = None
            if expires is None or expires.tzinfo is None:
                return self._error(
                    400, "PARAM_ERROR", "time_expire 须为 RFC 3339 格式，如 2018-06-08T10:34:56+08:00"
                )
        trade = self._trades.get(out_trade_no)
        if trade is not None:
            if trade["trade_state"] in ("SUCCESS", "REFUND"):
                return self._error(400, "ORDERPAID", "该订单已支付")
            if trade["trade_state"] == "CLOSED":
                return self._error(400, "ORDER_CLOSED", "订单已关闭")
            if trade["total"] != amount["total"] or trade["description"] != description:
                return self._error(400, "INVALID_REQUEST", "201 商户订单号重复")
            return self._reply(200, {"code_url": trade["code_url"]})
        self._trades[out_trade_no] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": out_trade_no,
            "description": description,
            "total": amount["total"],
            "payer_total": None,
            "trade_state": "NOTPAY",
            "transaction_id": None,
            "success_time": None,
            "time_expire": time_expire,
            "notify_url": payload["notify_url"],
            "attach": payload.get("attach", ""),
            "code_url": f"weixin://wxpay/bizpayurl?pr={_alphanumeric(7)}",
            "refunded": 0,
        }
        return self._reply(200, {"code_url": self._trades[out_trade_no]["code_url"]})

    def _check_mchid(self, query: Mapping[str, str]) -> Reply | None:
        if query.get("mchid") != self.mchid:
            return self._error(
                400, "PARAM_ERROR", "输入源“/uri_template/mchid”映射到字段“直连商户号”必填性规则校验失败"
            )
        return None

    def _query(self, out_trade_no: str, *, query: Mapping[str, str], payload: dict[str, Any]) -> Reply:
        """GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=..."""
        refused = self._check_mchid(query)
        if refused is not None:
            return refused
        trade = self._trades.get(out_trade_no)
        if trade is None:
            return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        return self._reply(200, self._transaction(trade))

    def _query_by_id(
        self, transaction_id: str, *, query: Mapping[str, str], payload: dict[str, Any]
    ) -> Reply:
        """GET /v3/pay/transactions/id/{transaction_id}?mchid=..."""
        refused = self._check_mchid(query)
        if refused is not None:
            return refused
        trade = next((t for t in self._trades.values() if t["transaction_id"] == transaction_id), None)
        if trade is None:
            return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
        return self._reply(200, self._transaction(trade))

    def _close(self, out_trade_no: str, *, query: Mapping[str, str], payload: dict[str, Any]) -> Reply:
        """POST .../out-trade-no/{out_trade_no}/close {mchid}: 204 without a body. As WeChat Pay
        does, an unknown out_trade_no is answered 204 too, and so is a closed order."""
        if payload.get("mchid") != self.mchid:
            return self._error(400, "PARAM_ERROR", "mchid 必填且须为本商户号")
        trade = self._trades.get(out_trade_no)
        if trade is not None:
            if trade["trade_state"] in ("SUCCESS", "REFUND"):
                return self._error(400, "ORDERPAID", "订单已支付")
            trade["trade_state"] = "CLOSED"
        return self._reply(204)

    def _refund(self, *, query: Mapping[str, str], payload: dict[str, Any]) -> Reply:
        """POST /v3/refund/domestic/refunds (https://pay.weixin.qq.com/doc/v3/merchant/4012791862):
        idempotent per out_refund_no; the refunds of an order may not exceed its total (400
        INVALID_REQUEST; WeChat Pay's NOT_ENOUGH means the merchant's balance is short)."""
        out_refund_no, amount = payload.get("out_refund_no"), payload.get("amount")
        if not isinstance(out_refund_no, str) or not _OUT_REFUND_NO.match(out_refund_no):
            return self._error(400, "PARAM_ERROR", "out_refund_no 须为 1 到 64 位数字、大小写字母或 _-*|@")
        if not isinstance(amount, dict) or not all(
            isinstance(amount.get(n), int) for n in ("refund", "total")
        ):
            return self._error(400, "PARAM_ERROR", "amount.refund 与 amount.total 必填（分）")
        if amount["refund"] < 1:
            return self._error(400, "PARAM_ERROR", "amount.refund 须为正整数")
        if amount.get("currency", "CNY") != "CNY":
            return self._error(400, "PARAM_ERROR", "amount.currency 仅支持 CNY")
        if len(str(payload.get("reason", ""))) > 80:
            return self._error(400, "PARAM_ERROR", "reason 最长 80 个字符")
        if payload.get("transaction_id"):
            trade = next(
                (t for t in self._trades.values() if t["transaction_id"] == payload["transaction_id"]), None
            )
        elif payload.get("out_trade_no"):
            trade = self._trades.get(str(payload["out_trade_no"]))
        else:
            return self._error(400, "PARAM_ERROR", "transaction_id 与 out_trade_no 须二选一")
        if trade is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        existing = self._refunds.get(out_refund_no)
        if existing is not None:
            if (
                existing["out_trade_no"] != trade["out_trade_no"]
                or existing["amount"]["refund"] != amount["refund"]
            ):
                return self._error(400, "INVALID_REQUEST", "订单金额或退款金额与之前请求不一致，请核实后再试")
            return self._reply(200, existing)
        if trade["trade_state"] not in ("SUCCESS", "REFUND"):
            return self._error(400, "INVALID_REQUEST", f"订单状态为 {trade['trade_state']}，不能退款")
        if amount["total"] != trade["total"]:
            return self._error(400, "INVALID_REQUEST", "订单金额与原订单金额不一致")
        if trade["refunded"] + amount["refund"] > trade["total"]:
            return self._error(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        payer_left = trade["payer_total"] - min(trade["refunded"], trade["payer_total"])
        trade["refunded"] += amount["refund"]
        trade["trade_state"] = "REFUND"
        processing = self.refunds_processing
        refund: dict[str, Any] = {
            "refund_id": "503" + beijing_now().strftime("%Y%m%d") + _digits(18),
            "out_refund_no": out_refund_no,
            "transaction_id": trade["transaction_id"],
            "out_trade_no": trade["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339(),
            "status": "PROCESSING" if processing else "SUCCESS",
            "funds_account": "AVAILABLE",
            "amount": {
                "total": trade["total"],
                "refund": amount["refund"],
                "payer_total": trade["payer_total"],
                "payer_refund": min(amount["refund"], payer_left),
                "settlement_total": trade["total"],
                "settlement_refund": amount["refund"],
                "discount_refund": 0,
                "currency": "CNY",
                "refund_fee": 0,
                "from": [],
            },
            "promotion_detail": [],
            "reason": payload.get("reason"),
            "notify_url": payload.get("notify_url"),
        }
        if not processing:
            refund["success_time"] = refund["create_time"]
        self._refunds[out_refund_no] = refund
        return self._reply(200, self._refund_object(refund))

    @staticmethod
    def _refund_object(refund: Mapping[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in refund.items() if k not in ("reason", "notify_url")}

    def _query_refund(
        self, out_refund_no: str, *, query: Mapping[str, str], payload: dict[str, Any]
    ) -> Reply:
        """GET /v3/refund/domestic/refunds/{out_refund_no}."""
        refund = self._refunds.get(out_refund_no)
        if refund is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return self._reply(200, self._refund_object(refund))


# --------------------------------------------------------------------------------------------
# Ready-made setups: keys on disk, a started fake, the app's settings
# --------------------------------------------------------------------------------------------


def _settings_of(env: Mapping[str, str]) -> dict[str, str]:
    return {name.removeprefix("KUAJING_").lower(): value for name, value in env.items()}


@dataclass
class AlipaySetup:
    """A started FakeAlipay and what the app needs to talk to it: its private key and Alipay's
    public key written as PEM files, `env` (KUAJING_ALIPAY_*) and `settings` (alipay_*)."""

    fake: FakeAlipay
    app_id: str
    app_private_key: Path
    alipay_public_key: Path
    app_private_pem: bytes
    alipay_public_pem: bytes
    env: dict[str, str]
    settings: dict[str, str]

    @classmethod
    def start(cls, directory: Path, *, app_id: str = "2021000000000001") -> AlipaySetup:
        app_private_pem, app_public_pem = TestKeys.rsa_pair("alipay-app")
        alipay_private_pem, alipay_public_pem = TestKeys.rsa_pair("alipay-platform")
        fake = FakeAlipay(app_id, app_public_pem, alipay_private_pem).start()
        app_private_key = TestKeys.write_pem(directory, "alipay_app_private_key.pem", app_private_pem)
        alipay_public_key = TestKeys.write_pem(directory, "alipay_public_key.pem", alipay_public_pem)
        env = {
            "KUAJING_ALIPAY_APP_ID": app_id,
            "KUAJING_ALIPAY_PRIVATE_KEY": str(app_private_key),
            "KUAJING_ALIPAY_PUBLIC_KEY": str(alipay_public_key),
            "KUAJING_ALIPAY_GATEWAY": fake.gateway_url,
        }
        return cls(
            fake,
            app_id,
            app_private_key,
            alipay_public_key,
            app_private_pem,
            alipay_public_pem,
            env,
            _settings_of(env),
        )

    def stop(self) -> None:
        self.fake.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


@dataclass
class WeChatPaySetup:
    """A started FakeWeChatPay and what the app needs to talk to it: the merchant's private key
    and WeChat Pay's public key written as PEM files, `env` (KUAJING_WECHATPAY_*) and
    `settings` (wechatpay_*)."""

    fake: FakeWeChatPay
    mchid: str
    appid: str
    cert_serial_no: str
    apiv3_key: str
    public_key_id: str
    private_key: Path
    public_key: Path
    merchant_private_pem: bytes
    platform_public_pem: bytes
    env: dict[str, str]
    settings: dict[str, str]

    @classmethod
    def start(
        cls, directory: Path, *, mchid: str = "1900000109", appid: str = "wx8888888888888888"
    ) -> WeChatPaySetup:
        merchant_private_pem, merchant_public_pem = TestKeys.rsa_pair("wechatpay-merchant")
        platform_private_pem, platform_public_pem = TestKeys.rsa_pair("wechatpay-platform")
        cert_serial_no = secrets.token_hex(20).upper()
        public_key_id = "PUB_KEY_ID_" + _digits(28)
        apiv3_key = _alphanumeric(32)
        fake = FakeWeChatPay(
            mchid, appid, merchant_public_pem, cert_serial_no, platform_private_pem, public_key_id, apiv3_key
        ).start()
        private_key = TestKeys.write_pem(directory, "wechatpay_apiclient_key.pem", merchant_private_pem)
        public_key = TestKeys.write_pem(directory, "wechatpay_pub_key.pem", platform_public_pem)
        env = {
            "KUAJING_WECHATPAY_MCHID": mchid,
            "KUAJING_WECHATPAY_APPID": appid,
            "KUAJING_WECHATPAY_PRIVATE_KEY": str(private_key),
            "KUAJING_WECHATPAY_CERT_SERIAL_NO": cert_serial_no,
            "KUAJING_WECHATPAY_APIV3_KEY": apiv3_key,
            "KUAJING_WECHATPAY_PUBLIC_KEY": str(public_key),
            "KUAJING_WECHATPAY_PUBLIC_KEY_ID": public_key_id,
            "KUAJING_WECHATPAY_GATEWAY": fake.gateway_url,
        }
        return cls(
            fake,
            mchid,
            appid,
            cert_serial_no,
            apiv3_key,
            public_key_id,
            private_key,
            public_key,
            merchant_private_pem,
            platform_public_pem,
            env,
            _settings_of(env),
        )

    def stop(self) -> None:
        self.fake.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
