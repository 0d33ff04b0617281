from datetime import date

import pytest

from kuajing.compliance.identity import InvalidIdNumber, check_character, mask, parse_resident_id

pytestmark = pytest.mark.once  # pure: no database

TODAY = date(2026, 11, 25)


def test_the_standards_own_example_is_valid():
    resident = parse_resident_id("11010519491231002X", today=TODAY)
    assert resident.number == "11010519491231002X"
    assert resident.birth_date == date(1949, 12, 31)


def test_lower_case_x_and_spaces_are_normalised():
    assert parse_resident_id(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


def test_check_character_table():
    assert check_character("11010519491231002") == "X"


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "1101051949123100211",  # 19 characters
        "11010519491332002X",  # month 13
        "11010519490230002X",  # 30 February
        "11010518991231002X",  # born before 1900
        "11010520991231002X",  # born in the future
        "A1010519491231002X",  # a letter in the digits
        "１１０１０５１９４９１２３１００２X",  # full-width digits
    ],
)
def test_invalid_numbers_are_refused(number):
    with pytest.raises(InvalidIdNumber):
        parse_resident_id(number, today=TODAY)


def test_mask_keeps_region_and_tail_only():
    assert mask("11010519491231002X") == "110105********002X"
