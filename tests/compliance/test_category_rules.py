"""Category rules, exactly: which listing lacks what, which buyer may buy wine, which size."""

from datetime import date

import pytest

from kuajing.compliance.category_rules import (
    WINE_FIELD_WORDS,
    age_on,
    bonded_warehouse_only,
    buyer_problems,
    listing_problems,
    measures,
    zh_size,
)
from kuajing.pricing.tax import Measures

pytestmark = pytest.mark.once  # pure: no database

LABEL = {
    "name": "纳帕谷赤霞珠干红葡萄酒",
    "type": "干红葡萄酒",
    "abv": "14.5%vol",
    "volume": "750毫升",
    "origin": "美国加利福尼亚州纳帕谷",
    "importer": "上海某进出口有限公司",
    "bottling_date": "2023-04-18",
}
DOCS = {
    "orchard_registration_no": "WA-ORC-1",
    "packhouse_registration_no": "WA-PH-1",
    "phyto_cert_no": "APHIS-1",
}


def codes(hs_code, attributes):
    return [p.code for p in listing_problems(hs_code, attributes)]


def test_a_complete_wine_listing_has_no_problems():
    assert codes("2204.21", {"abv": 14.5, "volume_ml": 750, "zh_label": LABEL}) == []


@pytest.mark.parametrize("missing", ["name", "type", "abv", "volume", "origin", "importer", "bottling_date"])
def test_every_label_field_is_required(missing):
    label = {k: v for k, v in LABEL.items() if k != missing}
    problems = listing_problems("2204.10", {"abv": 12, "volume_ml": 750, "zh_label": label})
    assert [p.code for p in problems] == ["label_incomplete"]
    assert problems[0].message.endswith(
        f"Missing: {WINE_FIELD_WORDS['zh_label.' + missing]} (zh_label.{missing})."
    )


def test_wine_needs_abv_and_volume_as_numbers():
    problems = listing_problems("2204.21", {"abv": "strong", "volume_ml": True, "zh_label": LABEL})
    assert problems[0].message == (
        "Not on sale until the wine's Chinese electronic label is complete. Missing: "
        "the bottle's volume in ml (volume_ml); the alcohol by volume as a number (abv)."
    )


def test_wine_buyers_must_be_18_by_the_id_birth_date():
    today = date(2026, 11, 25)
    assert buyer_problems("2204.21", birth_date=date(2008, 11, 25), today=today) == []
    assert [p.code for p in buyer_problems("2204.21", birth_date=date(2008, 11, 26), today=today)] == [
        "buyer_under_18"
    ]
    assert buyer_problems("0808.10", birth_date=date(2015, 1, 1), today=today) == []
    assert (age_on(date(2008, 2, 29), date(2026, 2, 28)), age_on(date(2008, 2, 29), date(2026, 3, 1))) == (
        17,
        18,
    )


@pytest.mark.parametrize(
    ("hs_code", "state", "expected"),
    [
        ("0808.10", "MI", []),
        ("0808.10", "NY", []),
        ("0808.10", "Washington", ["origin_not_approved"]),  # any state, but a real state code
        ("0809.29", "WA", []),
        ("0809.29", "MI", ["origin_not_approved"]),
        ("0806.10", "CA", []),
        ("0806.10", "WA", ["origin_not_approved"]),
        ("0805.10", "FL", []),
        ("0805.21", "GA", ["origin_not_approved"]),
        ("0809.40", "CA", ["origin_not_approved"]),  # plums: no access row in our data
    ],
)
def test_fresh_fruit_origin_must_be_approved(hs_code, state, expected):
    assert codes(hs_code, {"origin_state": state, **DOCS}) == expected


def test_fresh_fruit_needs_its_registration_and_phytosanitary_numbers():
    problems = listing_problems("0808.10", {"origin_state": "WA", "orchard_registration_no": "WA-ORC-1"})
    assert [p.code for p in problems] == ["fruit_documents_missing"]
    assert problems[0].message == "Fresh fruit needs: packhouse_registration_no, phyto_cert_no."


def test_cold_chain_fruit_is_bonded_warehouse_only():
    assert bonded_warehouse_only("0809.29", {"cold_chain": True}) is True
    assert bonded_warehouse_only("0809.29", {"cold_chain": "yes"}) is False
    assert bonded_warehouse_only("2204.21", {"cold_chain": True}) is False


def test_garments_need_a_gb18401_category_and_infants_their_label():
    assert codes("6109.10", {"gb18401_category": "B"}) == []
    assert codes("6204.62", {}) == ["gb18401_category_missing"]
    assert codes("6109.10", {"gb18401_category": "D"}) == ["gb18401_category_missing"]
    assert codes("6109.10", {"gb18401_category": "A"}) == ["infant_label_missing"]
    assert codes("6109.10", {"gb18401_category": "A", "infant_label": "婴幼儿用品"}) == []


@pytest.mark.parametrize(
    ("attributes", "size"),
    [
        ({"fit_height_cm": 175, "fit_chest_cm": 96}, "175/96A"),
        ({"fit_height_cm": 172, "fit_chest_cm": 89}, "170/88A"),
        ({"fit_height_cm": 173, "fit_chest_cm": 90}, "175/92A"),  # halves round up: 172.5 → 175, 90 → 92
        ({"fit_height_cm": 170, "fit_waist_cm": 77}, "170/78A"),
        ({"fit_height_cm": 170, "fit_chest_cm": 96, "fit_waist_cm": 76}, "170/96Y"),
        ({"fit_height_cm": 170, "fit_chest_cm": 92, "fit_waist_cm": 78}, "170/92A"),
        ({"fit_height_cm": 170, "fit_chest_cm": 100, "fit_waist_cm": 90}, "170/100B"),
        ({"fit_height_cm": 170, "fit_chest_cm": 100, "fit_waist_cm": 96}, "170/100C"),
        ({"fit_height_cm": 75, "fit_chest_cm": 48}, None),  # infants: GB/T 1335.3, not derived
        ({"fit_chest_cm": 96}, None),
    ],
)
def test_chinese_size_from_measurements(attributes, size):
    assert zh_size("6109.10", attributes) == size


def test_sizes_only_for_garments():
    assert zh_size("2204.21", {"fit_height_cm": 175, "fit_chest_cm": 96}) is None


def test_beer_and_cosmetics_declare_what_their_tax_needs():
    assert codes("2203.00", {"abv": 5}) == ["volume_missing"]
    assert codes("2203.00", {"volume_ml": 355, "units": 4}) == []
    assert codes("3304.99", {"net_content": 50}) == ["net_content_missing"]
    assert codes("3304.99", {"net_content": 50, "unit": "ml"}) == []
    assert measures({"volume_ml": 355, "units": 4}).litres == measures({"volume_ml": "1420"}).litres
    assert measures({"net_content": "20", "unit": "g"}) == Measures(net_content=20, net_unit="g")
    assert measures({"net_content": "NaN", "unit": "kg"}) == Measures()


@pytest.mark.parametrize("odd", ["a string", ["a", "list"], 42, None, True, {"nested": {"deep": 1}}])
def test_free_form_attributes_of_any_shape_give_problems_not_errors(odd):
    attributes = {
        "zh_label": odd,
        "abv": odd,
        "volume_ml": odd,
        "origin_state": odd,
        "gb18401_category": odd,
        "net_content": odd,
        "unit": odd,
        "fit_height_cm": odd,
        "fit_chest_cm": odd,
        "cold_chain": odd,
        "orchard_registration_no": odd,
    }
    # none of these shapes is a complete label, a state, a GB 18401 category or a unit
    assert "label_incomplete" in codes("2204.21", attributes)
    assert "origin_not_approved" in codes("0808.10", attributes)
    assert codes("6109.10", attributes) == ["gb18401_category_missing"]
    assert codes("3304.99", attributes) == ["net_content_missing"]
    assert codes("2203.00", attributes) == ([] if odd == 42 else ["volume_missing"])
    assert zh_size("6109.10", attributes) is None
    assert bonded_warehouse_only("0808.10", attributes) is (odd is True)
