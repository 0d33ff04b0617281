"""The providers' shared records: yuan amounts as Alipay writes them, read to the fen and no
other way, and our payment ids read back from the out_trade_no we gave."""

import pytest

from kuajing.payment.providers import fen_of, payment_id_of, yuan_text
from kuajing.payment.wechatpay import v2_fields, v2_sign


@pytest.mark.once
@pytest.mark.parametrize(
    ("text", "fen"), [("544.05", 54405), ("544.5", 54450), ("544", 54400), ("0.01", 1), ("0", 0)]
)
def test_a_yuan_amount_is_read_to_the_fen(text, fen):
    assert fen_of(text) == fen
    assert fen_of(yuan_text(fen)) == fen


@pytest.mark.once
@pytest.mark.parametrize(
    "text", ["", "544.055", "-1.00", "1e3", "NaN", "Infinity", " 1.00", "1,000.00", "１２"]
)
def test_anything_else_is_not_an_amount(text):
    with pytest.raises(ValueError):
        fen_of(text)


@pytest.mark.once
def test_our_payment_ids_come_back_from_the_out_trade_no_we_gave():
    assert [payment_id_of(text) for text in ("42", "000042", "kj42", "", "4" * 19, "٤٢")] == [
        42,
        42,
        None,
        None,
        None,
        None,
    ]
    assert yuan_text(54405) == "544.05" and yuan_text(7) == "0.07"


def test_wechat_v2_signature_matches_the_example_in_wechat_pays_documentation():
    # WeChat Pay API v2 "安全规范" (chapter 4_3): the worked example's fields, key and sign
    fields = {
        "appid": "wxd930ea5d5a258f4f",
        "mch_id": "10000100",
        "device_info": "1000",
        "body": "test",
        "nonce_str": "ibuaiVcKdpRxkhJA",
        "empty": "",  # a field without a value is left out
    }
    assert v2_sign(fields, "192006250b4c09247ec02edce69f6a2d") == "9A0A8659F005D6984697E2CA0A9CF3B7"


def test_wechat_v2_answers_are_read_without_following_entities():
    assert v2_fields(b"<xml><return_code>SUCCESS</return_code><state>SUBMITTED</state></xml>") == {
        "return_code": "SUCCESS",
        "state": "SUBMITTED",
    }
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        b"<xml><return_msg>&secret;</return_msg></xml>"
    )
    assert "root:" not in v2_fields(hostile).get("return_msg", "")
    with pytest.raises(ValueError, match="not XML"):
        v2_fields(b"SUCCESS")
    with pytest.raises(ValueError, match="not <xml>"):
        v2_fields(b"<html></html>")
