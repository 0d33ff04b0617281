"""Options and variants checked before anything is written, as pure functions."""

import pytest

from kuajing.catalog import variants
from kuajing.catalog.errors import InvalidVariants

SIZE = {"name": {"en": "Size", "zh": "尺码"}, "values": ["S", "M"]}
COLOUR = {"name": {"en": "Colour", "zh": "颜色"}, "values": ["Navy", "Oat"]}


def test_options_are_trimmed_and_a_repeated_name_or_value_is_refused():
    spaced = {"name": {"en": " Size ", "zh": "尺码"}, "values": [" Extra  Large ", "M"]}
    assert variants.checked_options([spaced]) == [
        {"name": {"en": "Size", "zh": "尺码"}, "values": ["Extra Large", "M"]}
    ]
    with pytest.raises(InvalidVariants, match="The option size is named twice"):
        variants.checked_options([SIZE, {"name": {"en": "size", "zh": "大小"}, "values": ["L"]}])
    with pytest.raises(InvalidVariants, match="Size: the value m is listed twice"):
        variants.checked_options([{**SIZE, "values": ["M", "m"]}])


def test_a_variants_values_are_spelt_as_its_options_list_them():
    assert variants.checked_values([SIZE, COLOUR], ["m", "NAVY"], sku="T-1") == ["M", "Navy"]
    with pytest.raises(
        InvalidVariants, match=r"Variant T-2: give one value for each option \(Size, Colour\)"
    ):
        variants.checked_values([SIZE, COLOUR], ["M"], sku="T-2")
    with pytest.raises(
        InvalidVariants, match=r"Variant T-3: Colour 'Red' is not one of its values \(Navy, Oat\)"
    ):
        variants.checked_values([SIZE, COLOUR], ["M", "Red"], sku="T-3")


def test_two_variants_may_share_neither_values_nor_a_sku():
    variants.check_distinct([("T-S", ["S"]), ("T-M", ["M"])], product_sku="T")
    with pytest.raises(InvalidVariants, match="Two variants are m; each needs its own values"):
        variants.check_distinct([("T-1", ["M"]), ("T-2", ["m"])], product_sku="T")
    with pytest.raises(InvalidVariants, match="The SKU T is used twice"):
        variants.check_distinct([("T", ["M"])], product_sku="T")


def test_a_variant_keeps_its_own_measurements_and_takes_the_rest_from_its_product():
    product = {"gb18401_category": "B", "fit_height_cm": 170, "material": "cotton"}
    own = variants.checked_own_attributes({"fit_height_cm": 180, "fit_chest_cm": 100}, sku="T-L")
    assert variants.merged_attributes(product, own) == {
        "gb18401_category": "B",
        "material": "cotton",
        "fit_height_cm": 180,
        "fit_chest_cm": 100,
    }
    assert variants.own_attributes(variants.merged_attributes(product, own)) == own
    with pytest.raises(InvalidVariants, match="Variant T-L: material belong to the product"):
        variants.checked_own_attributes({"material": "wool"}, sku="T-L")


def test_a_new_value_extends_its_option_and_a_listed_one_does_not():
    assert variants.extended_options([SIZE, COLOUR], ["XL", "navy"], sku="T-XL") == [
        {"name": {"en": "Size", "zh": "尺码"}, "values": ["S", "M", "XL"]},
        {"name": {"en": "Colour", "zh": "颜色"}, "values": ["Navy", "Oat"]},
    ]
    with pytest.raises(InvalidVariants, match="give one value for each option"):
        variants.extended_options([SIZE], ["XL", "Navy"], sku="T-XL")


def test_a_measurement_is_a_number_of_centimetres_and_an_option_has_at_most_fifty_values():
    for wrong in ("175", True, 0, -3, 301, [175], {"cm": 175}):
        with pytest.raises(InvalidVariants, match="fit_height_cm is a measurement in centimetres"):
            variants.checked_own_attributes({"fit_height_cm": wrong}, sku="T-L")
    assert variants.checked_own_attributes({"fit_height_cm": 172.5}, sku="T-L") == {"fit_height_cm": 172.5}
    full = {
        "name": {"en": "Size", "zh": "尺码"},
        "values": [str(n) for n in range(variants.MAX_OPTION_VALUES)],
    }
    with pytest.raises(InvalidVariants, match="Size has 50 values already"):
        variants.extended_options([full], ["XXL"], sku="T-XXL")
    assert variants.extended_options([full], ["7"], sku="T-7") == [full]  # a listed value adds nothing
