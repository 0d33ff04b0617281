"""Help writing Chinese: a listing's Chinese title and its wine label's fixed items suggested from
a curated glossary (`glossary.csv`: grape varieties, wine types and styles, American wine
regions, fruit, nuts and garment words, units), as pure functions.

A suggestion only assembles words the glossary knows: the brand (the English words before the
first known term) and numbers are kept, other English words are left out, nothing is invented.
It is a draft the seller checks; the pages mark it as a suggestion until it is saved.
"""

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

_UNITS = {"ml": "毫升", "kg": "公斤", "g": "克", "lb": "磅", "oz": "盎司"}
_NUMBER_WITH_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(ml|kg|g|lb|oz)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True, slots=True)
class Term:
    kind: str
    en: str
    zh: str
    confidence: str
    state: str  # a wine region's US state (USPS code); "" for other terms
    note: str


@lru_cache(maxsize=1)
def glossary() -> tuple[Term, ...]:
    text = resources.files("kuajing.catalog").joinpath("glossary.csv").read_text(encoding="utf-8")
    return tuple(
        Term(**{key: value or "" for key, value in row.items()}) for row in csv.DictReader(text.splitlines())
    )


@dataclass(frozen=True, slots=True)
class Found:
    term: Term
    start: int
    end: int


def _readable() -> tuple[Term, ...]:
    """The terms a title is read for: not units (read with their numbers), the wine types (what a
    suggestion says, never what a title is searched for) nor option names (Size, Colour)."""
    return tuple(term for term in glossary() if term.kind not in ("unit", "wine_type", "option"))


def _found(text: str, terms: tuple[Term, ...]) -> list[Found]:
    """Non-overlapping whole-word matches, longest terms first, in the order they appear."""
    taken: list[Found] = []
    for term in sorted(terms, key=lambda t: -len(t.en)):
        pattern = re.compile(rf"(?<![\w']){re.escape(term.en)}(?![\w'])", re.IGNORECASE)
        for match in pattern.finditer(text):
            if all(match.end() <= f.start or match.start() >= f.end for f in taken):
                taken.append(Found(term, match.start(), match.end()))
    return sorted(taken, key=lambda f: f.start)


def _terms(places: Mapping[str, str]) -> tuple[Term, ...]:
    """What a title is read with: the glossary but its units (read with their numbers), and places."""
    return _readable() + tuple(Term("place", en, zh, "high", "", "") for en, zh in places.items())


def _rank(term: Term) -> int:
    """Chinese names a product place first, then whom it is for, then what it is."""
    if term.kind in ("place", "region"):
        return 0
    if term.en in ("Men's", "Women's"):
        return 1
    return 2


def wine_type(title_en: str) -> str | None:
    """干红葡萄酒, 干白葡萄酒, 干桃红葡萄酒 or 起泡葡萄酒 from the grapes and style the title names."""
    found = _found(title_en, _readable())
    kinds = {f.term.kind for f in found}
    words = {f.term.en.lower() for f in found}
    types = {t.en: t.zh for t in glossary() if t.kind == "wine_type"}
    if words & {"sparkling", "blanc de blancs", "brut"}:
        return types["sparkling"]
    if words & {"rosé", "rose"}:
        return types["rose"]
    if "varietal_white" in kinds and "varietal_red" not in kinds:
        return types["white"]
    if "varietal_red" in kinds:
        return types["red"]
    return None


def _join(parts: list[str]) -> str:
    """Chinese parts run together; a Latin or numeric part is set off by spaces."""
    text = ""
    for part in parts:
        if text and not (_CJK.search(text[-1]) and _CJK.search(part[0])):
            text += " "
        text += part
    return text


def title_zh(title_en: str, *, places: Mapping[str, str] = {}, wine: bool = False) -> str | None:
    """A Chinese title from the English one, or None when the glossary knows none of its words.
    `places`: English place names (US states) and their Chinese; `wine`: end the name with the
    wine's type (…干红葡萄酒), its vintage after."""
    found = _found(title_en, _terms(places))
    if not found:
        return None
    brand = _YEAR.sub("", title_en[: found[0].start]).strip(" ,-")
    kind = wine_type(title_en) if wine else None
    words = [f.term.zh for f in sorted(found, key=lambda f: (_rank(f.term), f.start))]
    # a style the wine's type already says (起泡 in 起泡葡萄酒) is not said twice
    words = [word for word in words if not (kind and word in kind)]
    words = [word for index, word in enumerate(words) if word not in words[:index]]
    parts = ([brand] if brand else []) + words + ([kind] if kind else [])
    parts += [
        f"{n}{_UNITS[unit.lower()]}" for n, unit in _NUMBER_WITH_UNIT.findall(title_en[found[0].start :])
    ]
    vintage = _YEAR.search(title_en) if wine else None
    if vintage:
        parts.append(vintage.group(0))
    return _join(parts)


def wine_label(
    title_en: str,
    *,
    abv: Decimal | None,
    volume_ml: int | None,
    state_zh: str | None,
    state_code: str | None = None,
) -> dict[str, str]:
    """The Chinese label's items the glossary can draft: name, type, abv, volume and origin (the
    importer and the bottling date are the seller's own facts). The origin names a region of the
    title only when it lies in the seller's state (`state_code`)."""
    drafted: dict[str, str] = {}
    name = title_zh(_YEAR.sub("", title_en), wine=True)
    if name:
        drafted["name"] = name
    kind = wine_type(title_en)
    if kind:
        drafted["type"] = kind
    if abv is not None:
        drafted["abv"] = f"{abv.normalize():f}%vol"
    if volume_ml is not None:
        drafted["volume"] = f"{volume_ml}毫升"
    regions = [
        f.term.zh
        for f in _found(title_en, _readable())
        if f.term.kind == "region" and f.term.state == state_code
    ]
    if state_zh:
        drafted["origin"] = "美国" + state_zh + "".join(regions[:1])
    return drafted


def option_name_zh(name_en: str) -> str | None:
    """The Chinese name of a product option (Size: 尺码, Colour: 颜色), None if the glossary has none."""
    wanted = " ".join(name_en.split()).casefold()
    return next((t.zh for t in glossary() if t.kind == "option" and t.en.casefold() == wanted), None)
