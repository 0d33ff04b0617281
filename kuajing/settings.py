"""Configuration from KUAJING_* environment variables."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KUAJING_", extra="ignore")

    database_url: str = "sqlite:///./kuajing.db"
    redis_url: str | None = None
    secret_key: str = Field(default="dev-insecure-change-me", min_length=8)
    order_ttl_seconds: float = Field(default=1800, gt=0)
    sweep_interval_seconds: float = Field(default=5, ge=0)
    # How long a worker trusts a token it has already checked; revocation reaches other
    # workers within this window (the revoking worker forgets the token at once).
    auth_cache_seconds: float = Field(default=5, ge=0)
    # How old a worker's snapshot of products, shipping fees and the FX rate may be when it
    # answers a quote or prices a listing. Orders always read the database.
    read_cache_seconds: float = Field(default=1.0, ge=0)
    # How old a worker's copy of the rule book may be: `kuajing rules import` reaches running
    # servers within this many seconds.
    rules_cache_seconds: float = Field(default=60, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    # How long a flash-sale reservation (an unpaid deal order) holds its units.
    flash_sale_ttl_seconds: float = Field(default=300, gt=0)
    # Group commit: purchase attempts on one deal arriving within this window (or until the
    # batch holds flash_sale_batch_max) are applied in one transaction.
    flash_sale_batch_window_seconds: float = Field(default=0.002, ge=0, le=1)
    flash_sale_batch_max: int = Field(default=200, ge=1, le=10_000)
    # A worker that saw a deal sell out answers sold_out from memory for this long, then asks
    # the database again (units come back when reservations expire).
    flash_sale_sold_out_recheck_seconds: float = Field(default=0.5, ge=0, le=60)
    platform_name: str = "kuajing"


@lru_cache
def get_settings() -> Settings:
    return Settings()
