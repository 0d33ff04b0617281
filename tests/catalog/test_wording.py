"""The glossary's drafts of Chinese titles and wine label items: only words it knows, in the
order Chinese names a product, nothing invented."""

from decimal import Decimal

import pytest

from kuajing.catalog.wording import glossary, title_zh, wine_label, wine_type

PLACES = {"California": "加利福尼亚州", "Washington": "华盛顿州", "North Carolina": "北卡罗来纳州"}


@pytest.mark.parametrize(
    ("title", "wine", "drafted"),
    [
        ("Halden Rock Napa Valley Cabernet Sauvignon 2021", True, "Halden Rock 纳帕谷赤霞珠干红葡萄酒 2021"),
        ("Halden Rock Sauvignon Blanc 2023, Napa Valley", True, "Halden Rock 纳帕谷长相思干白葡萄酒 2023"),
        ("Larkhill Bend Blanc de Blancs Sparkling Wine 2019", True, "Larkhill Bend 白中白起泡葡萄酒 2019"),
        ("Calder Mesa Grenache Rosé 2023", True, "Calder Mesa 歌海娜干桃红葡萄酒 2023"),
        ("Washington Honeycrisp Apples, 5 kg Gift Box", False, "华盛顿州蜜脆苹果 5公斤"),
        ("Classic Pocket Tee, Men's L, North Carolina", False, "Classic Pocket 北卡罗来纳州男士 T恤"),
        ("Quantum Widget 3000", False, None),
    ],
)
def test_a_title_is_drafted_from_the_words_the_glossary_knows(title, wine, drafted):
    assert title_zh(title, places=PLACES, wine=wine) == drafted


def test_the_wine_type_follows_the_grapes_and_the_style():
    assert [
        wine_type(t) for t in ("Merlot", "Riesling", "Brut Rosé", "Rosé of Pinot Noir", "Table Wine")
    ] == [
        "干红葡萄酒",
        "干白葡萄酒",
        "起泡葡萄酒",
        "干桃红葡萄酒",
        None,
    ]


def test_the_label_items_it_can_draft_and_those_it_leaves_to_the_seller():
    drafted = wine_label(
        "Halden Rock Napa Valley Cabernet Sauvignon 2021",
        abv=Decimal("14.5"),
        volume_ml=750,
        state_zh="加利福尼亚州",
        state_code="CA",
    )
    assert drafted == {
        "name": "Halden Rock 纳帕谷赤霞珠干红葡萄酒",
        "type": "干红葡萄酒",
        "abv": "14.5%vol",
        "volume": "750毫升",
        "origin": "美国加利福尼亚州纳帕谷",
    }  # no importer, no bottling date: the seller's own facts
    assert wine_label("Mystery Red", abv=None, volume_ml=None, state_zh=None) == {}
    # a region in another state than the seller's is not written on the label's origin
    oregon = wine_label(
        "Willamette Valley Pinot Noir", abv=None, volume_ml=None, state_zh="加利福尼亚州", state_code="CA"
    )
    assert oregon["origin"] == "美国加利福尼亚州"


def test_a_vintage_before_the_brand_is_said_once():
    assert (
        title_zh("2019 Ridge Napa Valley Cabernet Sauvignon", wine=True)
        == "Ridge 纳帕谷赤霞珠干红葡萄酒 2019"
    )


def test_every_glossary_row_is_complete_and_unambiguous():
    rows = glossary()
    assert len(rows) >= 70
    for row in rows:
        assert row.kind and row.en and row.zh and row.confidence in ("high", "medium"), row
        assert (row.kind == "region") == bool(row.state), row  # each region says its state
    english = [(row.kind, row.en.lower()) for row in rows]
    assert len(english) == len(set(english))
