"""A search's products narrowed by the filters, counted for each facet and sorted
(kuajing.catalog.facets)."""

import pytest

from kuajing.catalog.facets import Count, Item, SearchRequest, narrow, price_band

pytestmark = pytest.mark.once  # no database

ITEMS = [
    Item(id=1, score=1.0, category="wine", seller_id=7, state="CA", landed=29296),
    Item(id=2, score=3.0, category="wine", seller_id=8, state="OR", landed=9999),
    Item(id=3, score=2.0, category="fruit", seller_id=7, state="CA", landed=10000),
    Item(id=4, score=2.0, category="garments", seller_id=9, state="NC", landed=None),
]


def test_price_bands_are_yuan_with_tax_from_the_lower_bound_to_below_the_upper():
    assert [price_band(fen) for fen in (0, 9999, 10000, 19999, 20000, 49999, 50000, 99999, 100000)] == [
        "0-100", "0-100", "100-200", "100-200", "200-500", "200-500", "500-1000", "500-1000", "1000-",
    ]  # fmt: skip
    assert price_band(None) is None


def test_relevance_orders_by_score_then_by_listing():
    ids, _ = narrow(ITEMS, SearchRequest(q="x"), has_query=True)
    assert ids == (2, 3, 4, 1)
    assert narrow(ITEMS, SearchRequest(), has_query=False)[0] == (1, 2, 3, 4)


def test_price_sorts_put_the_unpriced_last_and_newest_the_latest_first():
    assert narrow(ITEMS, SearchRequest(sort="price_asc"), has_query=False)[0] == (2, 3, 1, 4)
    assert narrow(ITEMS, SearchRequest(sort="price_desc"), has_query=False)[0] == (1, 3, 2, 4)
    assert narrow(ITEMS, SearchRequest(sort="newest"), has_query=False)[0] == (4, 3, 2, 1)


def test_each_facet_counts_with_the_other_filters_but_not_its_own():
    ids, facets = narrow(ITEMS, SearchRequest(category="wine", state="CA"), has_query=False)
    assert ids == (1,)
    assert facets["category"] == (Count("fruit", 1), Count("wine", 1))  # in CA; a tie by name
    assert facets["state"] == (Count("CA", 1), Count("OR", 1))  # of the wines
    assert facets["price_band"] == (Count("200-500", 1),)
    assert facets["seller"] == (Count("7", 1),)


def test_counts_list_the_largest_first_and_price_bands_in_their_order():
    _, facets = narrow(ITEMS, SearchRequest(), has_query=False)
    assert facets["category"] == (Count("wine", 2), Count("fruit", 1), Count("garments", 1))
    assert facets["price_band"] == (Count("0-100", 1), Count("100-200", 1), Count("200-500", 1))
    assert facets["seller"] == (Count("7", 2), Count("8", 1), Count("9", 1))
    ids, _ = narrow(ITEMS, SearchRequest(price_band="100-200", seller_id=7), has_query=False)
    assert ids == (3,)
