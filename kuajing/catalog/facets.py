"""What a search found, narrowed, counted and ordered: the filters a shopper ticks, the facets
that show how many products each choice would leave, and the sort.

Pure: the service gives it every product the index matched with what it needs to know of each
(category, seller, the seller's state, the yuan price a card shows) and keeps the answer for a
moment. A facet counts with every other filter applied but not its own, so ticking a state still
shows what the other states hold.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Sort = Literal["relevance", "price_asc", "price_desc", "newest"]
SORTS: tuple[Sort, ...] = ("relevance", "price_asc", "price_desc", "newest")

# (code, lowest fen, below fen): what one unit costs landed, tax and shipping included
PRICE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-100", 0, 100_00),
    ("100-200", 100_00, 200_00),
    ("200-500", 200_00, 500_00),
    ("500-1000", 500_00, 1000_00),
    ("1000-", 1000_00, None),
)
PriceBand = Literal["0-100", "100-200", "200-500", "500-1000", "1000-"]
FACETS = ("category", "state", "price_band", "seller")


def price_band(landed: int | None) -> str | None:
    if landed is None:
        return None
    for code, lowest, below in PRICE_BANDS:
        if landed >= lowest and (below is None or landed < below):
            return code
    return None


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search as typed and ticked; equal requests find the same products (a cache key)."""

    q: str | None = None
    category: str | None = None
    state: str | None = None
    seller_id: int | None = None
    price_band: str | None = None
    sort: Sort = "relevance"

    def chosen(self) -> dict[str, str]:
        """Each facet's choice, as the facets name their values."""
        values = {
            "category": self.category,
            "state": self.state,
            "price_band": self.price_band,
            "seller": None if self.seller_id is None else str(self.seller_id),
        }
        return {facet: value for facet, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    score: float  # relevance, higher first; 0 without a query
    category: str
    seller_id: int
    state: str | None
    landed: int | None  # fen; None: not priced yet

    def value(self, facet: str) -> str | None:
        if facet == "category":
            return self.category
        if facet == "state":
            return self.state
        if facet == "price_band":
            return price_band(self.landed)
        return str(self.seller_id)


@dataclass(frozen=True, slots=True)
class Count:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class Found:
    ids: tuple[int, ...]  # in the order asked for
    facets: Mapping[str, tuple[Count, ...]]
    # no product matched every word: these match some, best first
    partial: bool = False
    # a mistyped word and the catalog's words searched for instead
    corrected: tuple[tuple[str, tuple[str, ...]], ...] = ()


def _counts(facet: str, items: Iterable[Item]) -> tuple[Count, ...]:
    counted = Counter(value for item in items if (value := item.value(facet)) is not None)
    if facet == "price_band":
        return tuple(Count(code, counted[code]) for code, _, _ in PRICE_BANDS if counted[code])
    return tuple(Count(value, n) for value, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


def _order(sort: Sort, has_query: bool) -> Callable[[Item], tuple[float, ...]]:
    unpriced_last = float("inf")
    if sort == "price_asc":
        return lambda item: (item.landed if item.landed is not None else unpriced_last, item.id)
    if sort == "price_desc":
        return lambda item: (-item.landed if item.landed is not None else unpriced_last, item.id)
    if sort == "newest" or not has_query:
        # newest: the latest listed first; the catalog unsearched lists in the order it was listed
        return (lambda item: (-item.id,)) if sort == "newest" else (lambda item: (item.id,))
    return lambda item: (-item.score, item.id)


def narrow(
    items: list[Item], request: SearchRequest, *, has_query: bool
) -> tuple[tuple[int, ...], dict[str, tuple[Count, ...]]]:
    """The ids that pass every filter, in the request's order, and each facet's counts."""
    chosen = request.chosen()

    def passes(item: Item, *, but: str | None = None) -> bool:
        return all(item.value(facet) == value for facet, value in chosen.items() if facet != but)

    kept = sorted((item for item in items if passes(item)), key=_order(request.sort, has_query))
    facets = {facet: _counts(facet, (item for item in items if passes(item, but=facet))) for facet in FACETS}
    return tuple(item.id for item in kept), facets
