"""The providers' shared records: yuan amounts as Alipay writes them, read to the fen and no
other way, and our payment ids read back from the out_trade_no we gave."""

import pytest

from kuajing.payment.providers import fen_of, payment_id_of, yuan_text


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
