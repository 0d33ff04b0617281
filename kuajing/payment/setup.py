"""The providers a process offers, from its settings."""

from collections.abc import Mapping

from kuajing.payment.alipay import AlipayProvider
from kuajing.payment.providers import Provider, Providers
from kuajing.payment.sandbox import SandboxProvider
from kuajing.payment.wechatpay import WeChatPayProvider
from kuajing.settings import Settings


class ProviderMisconfigured(ValueError):
    """Some of a provider's settings are given and others missing."""


def _all_or_none(name: str, values: Mapping[str, object]) -> bool:
    given = {key for key, value in values.items() if value not in (None, "")}
    if given and given != set(values):
        missing = ", ".join(f"KUAJING_{key.upper()}" for key in sorted(set(values) - given))
        raise ProviderMisconfigured(f"{name} is half configured: set {missing} too (or none of them).")
    return bool(given)


def providers_from_settings(settings: Settings) -> Providers:
    """Alipay and WeChat Pay when configured; the sandbox while neither is, or when
    KUAJING_PAYMENT_SANDBOX says so (tests, a staging server)."""
    offered: dict[str, Provider] = {}
    alipay = {
        "alipay_app_id": settings.alipay_app_id,
        "alipay_private_key": settings.alipay_private_key,
        "alipay_public_key": settings.alipay_public_key,
    }
    if _all_or_none("Alipay", alipay):
        assert settings.alipay_app_id and settings.alipay_private_key and settings.alipay_public_key
        offered["alipay"] = AlipayProvider(
            app_id=settings.alipay_app_id,
            private_key=settings.alipay_private_key,
            alipay_public_key=settings.alipay_public_key,
            gateway=settings.alipay_gateway,
            public_url=settings.public_url,
            settle_currency=settings.alipay_settle_currency,
            customs_place=settings.alipay_customs_place,
        )
    wechat = {
        "wechatpay_mchid": settings.wechatpay_mchid,
        "wechatpay_appid": settings.wechatpay_appid,
        "wechatpay_private_key": settings.wechatpay_private_key,
        "wechatpay_cert_serial_no": settings.wechatpay_cert_serial_no,
        "wechatpay_apiv3_key": settings.wechatpay_apiv3_key,
        "wechatpay_public_key": settings.wechatpay_public_key,
        "wechatpay_public_key_id": settings.wechatpay_public_key_id,
    }
    if _all_or_none("WeChat Pay", wechat):
        assert settings.wechatpay_mchid and settings.wechatpay_appid and settings.wechatpay_private_key
        assert settings.wechatpay_cert_serial_no and settings.wechatpay_apiv3_key
        assert settings.wechatpay_public_key and settings.wechatpay_public_key_id
        offered["wechatpay"] = WeChatPayProvider(
            mchid=settings.wechatpay_mchid,
            appid=settings.wechatpay_appid,
            private_key=settings.wechatpay_private_key,
            cert_serial_no=settings.wechatpay_cert_serial_no,
            apiv3_key=settings.wechatpay_apiv3_key,
            public_key=settings.wechatpay_public_key,
            public_key_id=settings.wechatpay_public_key_id,
            gateway=settings.wechatpay_gateway,
            public_url=settings.public_url,
            v2_key=settings.wechatpay_v2_key,
            customs=settings.wechatpay_customs,
        )
        _all_or_none(
            "WeChat Pay's customs declaration",
            {"wechatpay_v2_key": settings.wechatpay_v2_key, "wechatpay_customs": settings.wechatpay_customs},
        )
    sandbox = settings.payment_sandbox if settings.payment_sandbox is not None else not offered
    if sandbox:
        offered["sandbox"] = SandboxProvider(settings.public_url)
    return Providers(offered)
