"""A product's options and variants, checked before anything is written: options named once in
English and Chinese, each variant a distinct choice of their values, with only its own
measurements beside the product's attributes. Pure functions; the service writes the rows."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kuajing.catalog.errors import InvalidVariants
from kuajing.kit.money import Money

# What a variant may carry of its own, in centimetres; every other attribute is the product's.
VARIANT_ATTRIBUTES = frozenset({"fit_height_cm", "fit_chest_cm", "fit_waist_cm"})
MAX_CENTIMETRES = 300
MAX_OPTIONS = 3
MAX_OPTION_VALUES = 50


@dataclass(frozen=True, slots=True)
class NewVariant:
    sku: str
    options: list[str]
    price: Money
    stock: int
    weight_grams: int
    attributes: dict[str, Any] = field(default_factory=dict)


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


def checked_options(options: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The options as stored ({name: {en, zh}, values}), trimmed; refused if a name or a value
    repeats (ignoring case and spacing)."""
    checked: list[dict[str, Any]] = []
    names: set[str] = set()
    for option in options:
        name = {"en": option["name"]["en"].strip(), "zh": option["name"]["zh"].strip()}
        if _key(name["en"]) in names or _key(name["zh"]) in names:
            raise InvalidVariants(message=f"The option {name['en']} is named twice.")
        names |= {_key(name["en"]), _key(name["zh"])}
        values = [" ".join(value.split()) for value in option["values"]]
        seen: set[str] = set()
        for value in values:
            if _key(value) in seen:
                raise InvalidVariants(message=f"{name['en']}: the value {value} is listed twice.")
            seen.add(_key(value))
        checked.append({"name": name, "values": values})
    return checked


def checked_values(options: Sequence[Mapping[str, Any]], values: Sequence[str], *, sku: str) -> list[str]:
    """A variant's value of each option, spelt as the option lists it; refused if one is missing,
    extra or not among the option's values."""
    if len(values) != len(options):
        names = ", ".join(option["name"]["en"] for option in options)
        raise InvalidVariants(message=f"Variant {sku}: give one value for each option ({names}).")
    spelt = []
    for option, value in zip(options, values, strict=True):
        allowed = {_key(v): v for v in option["values"]}
        if _key(value) not in allowed:
            listed = ", ".join(option["values"])
            raise InvalidVariants(
                message=f"Variant {sku}: {option['name']['en']} {value!r} is not one of its values "
                f"({listed})."
            )
        spelt.append(allowed[_key(value)])
    return spelt


def extended_options(
    options: Sequence[Mapping[str, Any]], values: Sequence[str], *, sku: str
) -> list[dict[str, Any]]:
    """The options with any value of `values` they do not list yet added at the end (a new size
    added as a new variant); refused if `values` does not give one value for each option."""
    if len(values) != len(options):
        names = ", ".join(option["name"]["en"] for option in options)
        raise InvalidVariants(message=f"Variant {sku}: give one value for each option ({names}).")
    extended = []
    for option, value in zip(options, values, strict=True):
        listed = list(option["values"])
        if _key(value) not in {_key(v) for v in listed}:
            if len(listed) >= MAX_OPTION_VALUES:
                raise InvalidVariants(
                    message=f"{option['name']['en']} has {len(listed)} values already, "
                    "the most an option may have."
                )
            listed.append(" ".join(value.split()))
        extended.append({"name": dict(option["name"]), "values": listed})
    return extended


def checked_own_attributes(attributes: Mapping[str, Any], *, sku: str) -> dict[str, Any]:
    """A variant's own attributes: its measurements only, each a number of centimetres."""
    foreign = sorted(set(attributes) - VARIANT_ATTRIBUTES)
    if foreign:
        allowed = ", ".join(sorted(VARIANT_ATTRIBUTES))
        raise InvalidVariants(
            message=f"Variant {sku}: {', '.join(foreign)} belong to the product; "
            f"a variant has only {allowed}."
        )
    for name, value in sorted(attributes.items()):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not 0 < value <= MAX_CENTIMETRES:
            raise InvalidVariants(
                message=f"Variant {sku}: {name} is a measurement in centimetres, above 0 and at most "
                f"{MAX_CENTIMETRES}, such as 175."
            )
    return dict(attributes)


def check_distinct(variants: Sequence[tuple[str, Sequence[str]]], *, product_sku: str) -> None:
    """No two variants with the same SKU or the same values, and none with the product's SKU."""
    skus: set[str] = {product_sku}
    choices: set[tuple[str, ...]] = set()
    for sku, values in variants:
        if sku in skus:
            raise InvalidVariants(message=f"The SKU {sku} is used twice; each variant needs its own.")
        skus.add(sku)
        choice = tuple(_key(v) for v in values)
        if choice in choices:
            raise InvalidVariants(
                message=f"Two variants are {' / '.join(values)}; each needs its own values."
            )
        choices.add(choice)


def merged_attributes(product: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """A variant's attributes: the product's, with the variant's own measurements in place of any."""
    return {key: value for key, value in product.items() if key not in VARIANT_ATTRIBUTES} | dict(own)


def own_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in attributes.items() if key in VARIANT_ATTRIBUTES}
