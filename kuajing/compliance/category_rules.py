"""Category rules for CBEC goods: what a wine, fresh-fruit, garment, beer or cosmetic listing
must declare, and what a buyer must be. Pure: sellers see these as problems when they list,
buyers when they quote, and placing an order refuses them. Sources: domain-facts §7."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from kuajing.compliance.rules import hs_digits, packaged_rows
from kuajing.kit.money import round_half_up
from kuajing.pricing.tax import Measures
from kuajing.seller.states import US_STATES

WINE, BEER, COSMETICS = ("2204",), ("2203",), ("3304",)
FRESH_FRUIT = ("0805", "0806", "0808", "0809")
GARMENTS = ("61", "62")
# The Chinese electronic label every wine listing shows (GB 7718 / GB 2758 content).
ZH_LABEL_FIELDS = ("name", "type", "abv", "volume", "origin", "importer", "bottling_date")
# What each missing piece of a wine listing is called when a seller is told about it.
WINE_FIELD_WORDS = {
    "volume_ml": "the bottle's volume in ml",
    "abv": "the alcohol by volume as a number",
    "zh_label.name": "the label's Chinese name",
    "zh_label.type": "the label's wine type",
    "zh_label.abv": "the label's alcohol content",
    "zh_label.volume": "the label's net volume",
    "zh_label.origin": "the label's country and region of origin",
    "zh_label.importer": "the label's importer",
    "zh_label.bottling_date": "the label's bottling date",
}
FRUIT_DOCUMENTS = ("orchard_registration_no", "packhouse_registration_no", "phyto_cert_no")
INFANT_LABEL = "婴幼儿用品"
ADULT_MIN_HEIGHT_CM = 145  # the smallest 号 in GB/T 1335.1 (men) and .2 (women)
ADULT_AGE = 18


@dataclass(frozen=True, slots=True)
class RuleProblem:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class FruitOrigin:
    hs_prefix: str
    fruit: str
    states: frozenset[str] | None  # None: every state
    confidence: str


@lru_cache(maxsize=1)
def fruit_origins() -> tuple[FruitOrigin, ...]:
    rows = packaged_rows("kuajing.compliance", "fruit_origins.csv")
    return tuple(
        FruitOrigin(
            row["hs_prefix"],
            row["fruit"],
            None if row["states"] == "*" else frozenset(row["states"].split()),
            row["confidence"],
        )
        for row in rows
    )


def _is(hs_code: str, prefixes: tuple[str, ...]) -> bool:
    return hs_digits(hs_code).startswith(prefixes)


# Larger than any real bottle, pack or garment: a bigger number is a typo, and is treated as absent.
MAX_MEASURE = Decimal(1_000_000)


def positive_number(value: Any) -> Decimal | None:
    """A positive finite number up to MAX_MEASURE from an attribute, else None (booleans are not
    numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and 0 < number <= MAX_MEASURE else None


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def measures(attributes: dict[str, Any]) -> Measures:
    """Litres per unit sold (beer: volume_ml × units) and net content (cosmetics)."""
    volume = positive_number(attributes.get("volume_ml"))
    units = positive_number(attributes.get("units")) or Decimal(1)
    unit = attributes.get("unit")
    return Measures(
        litres=volume * units / 1000 if volume is not None else None,
        net_content=positive_number(attributes.get("net_content")),
        net_unit=unit if unit in ("ml", "g", "piece") else None,
    )


def listing_problems(hs_code: str, attributes: Mapping[str, Any]) -> list[RuleProblem]:
    """What the listing lacks for its category; an empty list means it may be ordered."""
    problems: list[RuleProblem] = []
    if _is(hs_code, WINE):
        label = attributes.get("zh_label")
        label = label if isinstance(label, dict) else {}  # attributes are free-form JSON
        missing = [f"zh_label.{f}" for f in ZH_LABEL_FIELDS if not _text(label.get(f))]
        if positive_number(attributes.get("abv")) is None:
            missing.insert(0, "abv")
        if positive_number(attributes.get("volume_ml")) is None:
            missing.insert(0, "volume_ml")
        if missing:
            words = "; ".join(f"{WINE_FIELD_WORDS[f]} ({f})" for f in missing)
            problems.append(
                RuleProblem(
                    "label_incomplete",
                    f"Not on sale until the wine's Chinese electronic label is complete. Missing: {words}.",
                )
            )
    if _is(hs_code, BEER) and positive_number(attributes.get("volume_ml")) is None:
        problems.append(
            RuleProblem("volume_missing", "Beer is taxed per litre: declare volume_ml (and units).")
        )
    if _is(hs_code, COSMETICS) and (
        positive_number(attributes.get("net_content")) is None
        or attributes.get("unit") not in ("ml", "g", "piece")
    ):
        problems.append(
            RuleProblem(
                "net_content_missing", "Declare net_content with unit ml, g or piece: it sets the tax."
            )
        )
    if _is(hs_code, FRESH_FRUIT):
        problems += _fruit_problems(hs_code, attributes)
    if _is(hs_code, GARMENTS):
        problems += _garment_problems(attributes)
    return problems


def _fruit_problems(hs_code: str, attributes: Mapping[str, Any]) -> list[RuleProblem]:
    problems = []
    digits = hs_digits(hs_code)
    origin = next((o for o in fruit_origins() if digits.startswith(o.hs_prefix)), None)
    state = attributes.get("origin_state")
    if (
        origin is None
        or not isinstance(state, str)
        or state not in US_STATES
        or (origin.states is not None and state not in origin.states)
    ):
        allowed = (
            "none"
            if origin is None
            else "any state"
            if origin.states is None
            else ", ".join(sorted(origin.states))
        )
        problems.append(
            RuleProblem(
                "origin_not_approved",
                f"China admits this fruit from: {allowed} (GACC access list); origin_state is {state!r}.",
            )
        )
    missing = [name for name in FRUIT_DOCUMENTS if not _text(attributes.get(name))]
    if missing:
        problems.append(RuleProblem("fruit_documents_missing", f"Fresh fruit needs: {', '.join(missing)}."))
    return problems


def _garment_problems(attributes: Mapping[str, Any]) -> list[RuleProblem]:
    category = attributes.get("gb18401_category")
    if category not in ("A", "B", "C"):
        return [RuleProblem("gb18401_category_missing", "Declare the GB 18401 safety category: A, B or C.")]
    if category == "A" and attributes.get("infant_label") != INFANT_LABEL:
        return [
            RuleProblem("infant_label_missing", f"Category A (infants) must carry the label {INFANT_LABEL}.")
        ]
    return []


def buyer_problems(hs_code: str, *, birth_date: date, today: date) -> list[RuleProblem]:
    if _is(hs_code, WINE) and age_on(birth_date, today) < ADULT_AGE:
        return [RuleProblem("buyer_under_18", "Alcohol is sold only to buyers aged 18 or over.")]
    return []


def age_on(birth_date: date, today: date) -> int:
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def bonded_warehouse_only(hs_code: str, attributes: dict[str, Any]) -> bool:
    """Cold-chain fresh fruit reaches buyers only from a bonded warehouse (code 1210)."""
    return _is(hs_code, FRESH_FRUIT) and attributes.get("cold_chain") is True


def zh_size(hs_code: str, attributes: dict[str, Any]) -> str | None:
    """The GB/T 1335 size, 号/型 and body type, e.g. 170/88A, from the seller's measurements.

    Adults only. 号 is the height in 5 cm steps; 型 is the chest (tops, 4 cm steps) or waist
    (bottoms, 2 cm steps); the body type comes from chest − waist when both are given (GB/T
    1335.1 men's ranges), else A, the standard build.
    """
    if not _is(hs_code, GARMENTS):
        return None
    height = positive_number(attributes.get("fit_height_cm"))
    chest = positive_number(attributes.get("fit_chest_cm"))
    waist = positive_number(attributes.get("fit_waist_cm"))
    if height is None or (chest is None and waist is None):
        return None
    if height < ADULT_MIN_HEIGHT_CM:
        # Children's and infants' sizes follow GB/T 1335.3 (other steps, no body type), whose
        # tables are not in our sources; better no size than a wrong one.
        return None
    hao = round_half_up(height / 5) * 5
    if chest is not None:
        xing = round_half_up(chest / 4) * 4
    else:
        assert waist is not None
        xing = round_half_up(waist / 2) * 2
    return f"{hao}/{xing}{_body_type(chest, waist)}"


def _body_type(chest: Decimal | None, waist: Decimal | None) -> str:
    if chest is None or waist is None:
        return "A"
    drop = chest - waist
    if drop >= 17:
        return "Y"
    if drop >= 12:
        return "A"
    if drop >= 7:
        return "B"
    return "C"
