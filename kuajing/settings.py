"""Configuration from KUAJING_* environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from kuajing.sealing import MasterKeys

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KUAJING_", extra="ignore")

    database_url: str = "sqlite:///./kuajing.db"
    # Where the app keeps files: sellers' photos under media/ (created 0700).
    data_dir: Path = Path("./kuajing-data")
    # Sellers' photos in an S3-compatible bucket instead (s3://bucket[/prefix]; needs the s3
    # extra): its endpoint for a service other than AWS (MinIO, R2), its region, and where
    # browsers fetch the photos from (a CDN; by default the bucket's own address, path-style).
    # A malformed one stops the server at start-up (kuajing.media.storage.BucketAddress).
    media_url: str | None = None
    media_s3_endpoint: str | None = None
    media_s3_region: str = "us-east-1"
    media_public_url: str | None = None
    redis_url: str | None = None
    # "production" refuses to start on the default secret key (kuajing.bootstrap.check_production).
    environment: Literal["development", "production"] = "development"
    # Signs the pages' CSRF tokens and derives the key-encryption key that wraps the data keys
    # sealing personal data (kuajing.sealing), unless a key file is given. To change it: set the
    # new one here, the old one in previous_secret_keys (comma-separated), run `kuajing keys
    # rotate`, then drop the old one.
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, min_length=8)
    previous_secret_keys: str = ""
    # A file of key-encryption keys (one base64 key of 32 bytes per line, the current first) used
    # instead of the secret key: `kuajing keys new` writes a line.
    key_file: Path | None = None
    order_ttl_seconds: float = Field(default=1800, gt=0)
    sweep_interval_seconds: float = Field(default=5, ge=0)
    # Whether each API server process also runs the background loops (the expiry sweeper with its
    # payment queries, the Redis ledger's upkeep, the customs exchange). Off in API servers when
    # one `kuajing worker` runs them for the whole deployment; the worker ignores it.
    background_loops: bool = True
    # How long a worker trusts a token it has already checked; revocation reaches other
    # workers within this window (the revoking worker forgets the token at once).
    auth_cache_seconds: float = Field(default=5, ge=0)
    # A token stops working once unused this long (30 days), and this long after it was issued
    # whatever its use (90 days); the holder signs in again.
    token_idle_seconds: float = Field(default=30 * 86400, gt=0)
    token_absolute_seconds: float = Field(default=90 * 86400, gt=0)
    # How old a worker's snapshot of products, sellers and the FX rate may be when it answers a
    # quote, prices a listing, prices a Singles' Day deal purchase (decision 0004) or shows a
    # storefront page (whose searches and seller list are kept as long). Normal orders, placed
    # at checkout, always price from the database.
    read_cache_seconds: float = Field(default=1.0, ge=0)
    # How old a worker's copy of the rule book may be: `kuajing rules import` reaches running
    # servers within this many seconds.
    rules_cache_seconds: float = Field(default=60, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    # argon2's parameters for new password hashes (auth.passwords.PROFILES). "cheapest" is for
    # test runs only, which hash hundreds of passwords: it protects nothing, a process started
    # with it says so in its log, and a hash made under it is made again at its next sign-in once
    # the profile is changed back.
    password_hash_profile: Literal["rfc_9106_low_memory", "rfc_9106_high_memory", "cheapest"] = (
        "rfc_9106_low_memory"
    )
    # The pages' cookies (session, CSRF, cart, language) carry Secure: set it behind HTTPS. Off
    # by default so the demo works on http://127.0.0.1.
    cookie_secure: bool = False
    # Attempts let through before 429 (the `limits` library's notation; ";" joins windows). Kept
    # in Redis when redis_url is set, so every worker counts together; else in each worker.
    rate_limit_sign_in_failures: str = "10/minute;30/hour"  # wrong passwords per account
    rate_limit_sign_in_per_ip: str = "60/minute"  # sign-in attempts per address
    # sign-in attempts per account, right or wrong, counted before the password is checked: wrong
    # passwords sent all at once are bounded by this, not only by the failures counted after
    rate_limit_sign_in_per_account: str = "20/minute"
    rate_limit_register_per_ip: str = "20/hour"  # new accounts per address
    rate_limit_identity_per_account: str = "10/hour"  # real-name identities set per account
    # How long a flash-sale reservation (an unpaid deal order) holds its units.
    flash_sale_ttl_seconds: float = Field(default=300, gt=0)
    # Group commit: purchase attempts on one deal arriving within this window (or until the
    # batch holds flash_sale_batch_max) are applied in one transaction.
    flash_sale_batch_window_seconds: float = Field(default=0.002, ge=0, le=1)
    flash_sale_batch_max: int = Field(default=200, ge=1, le=10_000)
    # A worker that saw a deal sell out answers sold_out from memory for this long, then asks
    # the database again (units come back when reservations expire).
    flash_sale_sold_out_recheck_seconds: float = Field(default=0.5, ge=0, le=60)
    # The Redis stock ledger (used when redis_url is set): a Redis Cluster (any node's URL) or a
    # single server; every key starts with the prefix.
    redis_cluster: bool = False
    redis_prefix: str = Field(default="kj", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")
    # Connections a worker may open to Redis (to each node of a cluster): at least the purchases
    # one worker has in flight, or the excess answer 503 purchase_unavailable.
    redis_max_connections: int = Field(default=1000, ge=1, le=100_000)
    # A hot deal's Redis stock split over this many keys (slots); the database still holds each
    # buyer to the per-buyer limit across them.
    flash_sale_stock_buckets: int = Field(default=1, ge=1, le=64)
    # Stream entries older than this are taken for a dead worker's and written (or given back)
    # by the replayer, which every worker runs every flash_sale_replay_interval_seconds.
    flash_sale_replay_grace_seconds: float = Field(default=10, ge=0)
    flash_sale_replay_interval_seconds: float = Field(default=5, ge=0)
    # How often each worker reconciles live deals' Redis state with the database; 0: never.
    flash_sale_reconcile_interval_seconds: float = Field(default=60, ge=0)
    # With it, the buyers' identities and yearly rooms are set in Redis once a campaign is this
    # close to opening (compliance.buyer_facts); 0: only by `kuajing flash-sale warm-buyers`.
    flash_sale_warm_ahead_seconds: float = Field(default=600, ge=0)
    platform_name: str = "kuajing"

    # Operations (docs/operations.md). Log lines as JSON for a log shipper, or as key=value text
    # for a terminal; one access line per request (method, route, status, duration) in place of
    # uvicorn's. GET /metrics answers unless turned off; with a token, only a scrape that shows it
    # (Authorization: Bearer …).
    log_format: Literal["json", "console"] = "console"
    log_level: str = Field(default="INFO", pattern=r"(?i)^(debug|info|warning|error)$")
    access_log: bool = True
    metrics: bool = True
    metrics_token: str | None = Field(default=None, min_length=16)

    # China customs (CBEC) messages. The codes are the enterprises' customs registration codes;
    # the defaults are sandbox placeholders, to be replaced by the real ones before going live.
    customs_platform_code: str = Field(default="KJSANDBOX1", min_length=1, max_length=18)  # ebpCode
    customs_platform_name: str = Field(default="kuajing sandbox platform", min_length=1, max_length=100)
    customs_payment_code: str = Field(default="KJSANDPAY1", min_length=1, max_length=18)  # payCode
    customs_payment_name: str = Field(default="kuajing sandbox payment", min_length=1, max_length=100)
    customs_logistics_code: str = Field(default="KJSANDLOG1", min_length=1, max_length=18)
    customs_logistics_name: str = Field(default="kuajing sandbox logistics", min_length=1, max_length=100)
    customs_dxp_id: str = Field(default="DXPENTSANDBOX001", min_length=1, max_length=30)
    # The file-drop exchange: messages are written to the outbox, receipts read from the inbox.
    # Unset: a customs/ folder next to the SQLite database (or in the working directory).
    customs_outbox_dir: Path | None = None
    customs_inbox_dir: Path | None = None
    # How often the server sends drafts and reads receipts; 0 turns the background loop off.
    customs_exchange_interval_seconds: float = Field(default=30, ge=0)

    # Where buyers' browsers and the payment providers reach this server: the notify and return
    # URLs handed to Alipay and WeChat Pay are built on it.
    public_url: str = "http://127.0.0.1:8000"
    # Alipay (open platform, RSA2). A provider is offered once its app id and keys are set; the
    # keys are PEM files: the app's private key and Alipay's public key.
    alipay_app_id: str | None = None
    alipay_private_key: Path | None = None
    alipay_public_key: Path | None = None
    alipay_gateway: str = "https://openapi.alipay.com/gateway.do"
    # The currency Alipay settles to the platform in (overseas merchants): "" for yuan.
    alipay_settle_currency: str = "USD"
    # The customs office Alipay declares payments to (its customs_place code, e.g. ZONGSHU);
    # unset, payments through Alipay are not declared by it.
    alipay_customs_place: str = ""
    # WeChat Pay (APIv3, Native QR payments, WeChat Pay public-key mode): the merchant id, the
    # app id, the merchant's API private key (PEM) and its certificate serial number, the APIv3
    # key (32 characters) and WeChat Pay's public key (PEM) with its id.
    wechatpay_mchid: str | None = None
    wechatpay_appid: str | None = None
    wechatpay_private_key: Path | None = None
    wechatpay_cert_serial_no: str | None = None
    wechatpay_apiv3_key: str | None = Field(default=None, min_length=32, max_length=32)
    wechatpay_public_key: Path | None = None
    wechatpay_public_key_id: str | None = None
    wechatpay_gateway: str = "https://api.mch.weixin.qq.com"
    # WeChat Pay's customs declaration is API v2: its 32-character v2 key, and the customs
    # office's code (e.g. ZONGSHU); without both, payments through WeChat Pay are not declared by it.
    wechatpay_v2_key: str | None = Field(default=None, min_length=32, max_length=32)
    wechatpay_customs: str = ""
    # Whether the sandbox provider (every payment paid at once, no money moves) is offered:
    # unset, only while neither Alipay nor WeChat Pay is configured.
    payment_sandbox: bool | None = None
    # A pending payment with no notification after this long is asked about (the provider's
    # query) by the background loop; so is every pending payment of an order about to expire.
    payment_query_after_seconds: float = Field(default=60, ge=0)

    # The hosts an import may fetch products' photos from (comma-separated, e.g.
    # "cdn.shopify.com"); none by default: each imported photo is then uploaded by hand.
    import_image_hosts: str = ""

    # The offline engine that drafts a listing's Chinese (kuajing.catalog.translation): "auto"
    # uses Argos Translate when it is installed with its en→zh package, "argos" requires it,
    # "none" turns drafting off.
    translation_engine: Literal["auto", "argos", "none"] = "auto"

    def master_keys(self) -> MasterKeys:
        if self.key_file is not None:
            return MasterKeys.from_file(self.key_file)
        previous = [secret.strip() for secret in self.previous_secret_keys.split(",") if secret.strip()]
        return MasterKeys.from_secrets(self.secret_key, previous)

    def image_hosts(self) -> frozenset[str]:
        return frozenset(host.strip().lower() for host in self.import_image_hosts.split(",") if host.strip())

    # A payout run pays a seller only once this many cents are available (bank fees make tiny
    # transfers cost more than they carry).
    payout_minimum_cents: int = Field(default=5000, ge=1)

    def customs_dir(self) -> Path:
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).resolve().parent / "customs"
        return Path.cwd() / "customs"

    @property
    def customs_outbox(self) -> Path:
        return self.customs_outbox_dir or self.customs_dir() / "outbox"

    @property
    def customs_inbox(self) -> Path:
        return self.customs_inbox_dir or self.customs_dir() / "inbox"


@lru_cache
def get_settings() -> Settings:
    return Settings()
