import pytest

from kuajing.seller.requirements import EIN, missing


def codes(**given) -> list[str]:
    values = {"ein": "12-3456789", "customs_code": None, "documents": (), "categories": ()} | given
    return [m.code for m in missing(**values)]


@pytest.mark.once
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, ["ein_letter", "state_registration", "customs_registration"]),
        ({"ein": None}, ["ein", "ein_letter", "state_registration", "customs_registration"]),
        ({"customs_code": "3101969ABC"}, ["ein_letter", "state_registration"]),
        ({"documents": ("ein_letter", "state_registration", "customs_registration")}, []),
        (
            {"categories": ("wine",), "documents": ("ein_letter", "state_registration"), "customs_code": "X"},
            ["ttb_permit"],
        ),
        (
            {
                "categories": ("beer", "nuts"),
                "customs_code": "X",
                "documents": ("ein_letter", "state_registration"),
            },
            ["ttb_permit", "fda_facility"],
        ),
        (
            {
                "categories": ("supplements",),
                "customs_code": "X",
                "documents": ("ein_letter", "state_registration", "fda_facility"),
            },
            [],
        ),
        (
            {
                "categories": ("garments", "cosmetics", "other"),
                "documents": ("ein_letter", "state_registration", "customs_registration"),
            },
            [],
        ),
    ],
)
def test_what_is_required_follows_what_the_seller_sells(given, expected):
    assert codes(**given) == expected


@pytest.mark.once
@pytest.mark.parametrize(
    ("ein", "valid"),
    [("12-3456789", True), ("123456789", False), ("12-345678", False), ("1a-3456789", False)],
)
def test_an_ein_is_two_digits_a_dash_and_seven_digits(ein, valid):
    assert bool(EIN.fullmatch(ein)) is valid
