"""Which providers a server offers: Alipay and WeChat Pay once all their settings are given, the
sandbox only while neither is (or when told), and half a provider refused at start-up."""

import pytest

from kuajing.payment.setup import ProviderMisconfigured, providers_from_settings
from kuajing.settings import Settings

pytestmark = pytest.mark.once  # no database: settings and key files only


def _settings(**values):
    return Settings(database_url="sqlite:///:memory:", **values)


def test_with_no_provider_configured_only_the_sandbox_is_offered():
    assert providers_from_settings(_settings()).names == ["sandbox"]
    assert providers_from_settings(_settings(payment_sandbox=False)).names == []


def test_a_configured_provider_replaces_the_sandbox_unless_it_is_asked_for(alipay, wechatpay):
    both = {**alipay.settings, **wechatpay.settings}
    assert providers_from_settings(_settings(**both)).names == ["alipay", "wechatpay"]
    assert providers_from_settings(_settings(**both)).real == ["alipay", "wechatpay"]
    assert providers_from_settings(_settings(**alipay.settings, payment_sandbox=True)).names == [
        "alipay",
        "sandbox",
    ]


def test_half_a_provider_is_refused_naming_what_is_missing(alipay, wechatpay):
    half = {key: value for key, value in alipay.settings.items() if key != "alipay_public_key"}
    with pytest.raises(ProviderMisconfigured, match="KUAJING_ALIPAY_PUBLIC_KEY"):
        providers_from_settings(_settings(**half))
    without_key = {key: value for key, value in wechatpay.settings.items() if key != "wechatpay_apiv3_key"}
    with pytest.raises(ProviderMisconfigured, match="KUAJING_WECHATPAY_APIV3_KEY"):
        providers_from_settings(_settings(**without_key))
    with pytest.raises(ProviderMisconfigured, match="KUAJING_WECHATPAY_V2_KEY"):
        providers_from_settings(_settings(**wechatpay.settings, wechatpay_customs="ZONGSHU"))
