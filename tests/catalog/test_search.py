"""What search reads out of a product and out of a query (kuajing.catalog.search): words, pinyin
and initials, phrases, synonyms, corrections of mistyped words and the states a query names."""

import re

import pytest

from kuajing.catalog.search import Term, Vocabulary, document, parse, pinyin_forms, synonyms

TOKEN = r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+"  # what FTS5 and tsquery are handed unquoted

pytestmark = pytest.mark.once  # no database


def wine_document():
    return document(
        titles=["Napa Valley Cabernet Sauvignon 2021", "纳帕谷赤霞珠干红葡萄酒 2021"],
        texts=["Dark fruit and cedar.", "黑色水果与雪松的香气。"],
        codes=["wine", "NAPA-CAB-21"],
    )


def test_a_title_is_indexed_as_words_with_their_pinyin_and_initials():
    title = wine_document().title.split()
    assert title[:7] == ["napa", "valley", "cabernet", "sauvignon", "2021", "纳帕谷", "赤霞珠"]
    for word in ("葡萄酒", "putaojiu", "ptj", "chixiazhu", "cxz", "napagu"):
        assert word in title
    assert len(title) == len(set(title))  # each word once


def test_a_body_holds_the_descriptions_the_codes_and_the_titles_single_characters():
    body = wine_document().body.split()
    assert body[:3] == ["dark", "fruit", "cedar"]  # "and" is a stop word
    assert {"黑色", "水果", "wine", "napa", "cab", "21", "酒", "霞"} <= set(body)


def test_pinyin_has_no_tones_and_initials_come_from_three_characters():
    assert pinyin_forms("葡萄酒") == ["putaojiu", "ptj"]
    assert pinyin_forms("苹果") == ["pingguo"]
    # pypinyin reads 长 as zhang here; synonyms.csv gives the wine's reading (Sauvignon Blanc)
    assert pinyin_forms("长相思") == ["zhangxiangsi", "zxs"]
    assert "changxiangsi" in [term.text for term in parse("长相思", Vocabulary([])).groups[0]]


def test_a_phrase_is_one_word_however_it_is_written():
    for written in ("Heavyweight T-Shirt", "heavyweight t shirt", "HEAVYWEIGHT TSHIRT"):
        doc = document(titles=[written], texts=[], codes=[])
        assert doc.title.split()[:2] == ["heavyweight", "tshirt"], written
        assert [group[0].text for group in parse(written, Vocabulary([])).groups] == ["heavyweight", "tshirt"]


def test_full_width_letters_and_accents_are_read_as_plain_letters():
    vocabulary = Vocabulary(["rose", "wine"])
    assert parse("ＲＯＳÉ", vocabulary).groups[0][0] == Term("rose", prefix=True)


def test_a_query_word_brings_its_synonyms_and_their_pinyin():
    query = parse("红酒", Vocabulary(["葡萄酒"]))
    assert [term.text for term in query.groups[0]] == [
        "红酒", "hongjiu", "putaojiu", "vino", "wine", "wines", "葡萄酒",
    ]  # fmt: skip
    assert query.corrected == ()


def test_english_words_match_as_prefixes_and_short_ones_exactly():
    query = parse("chard xl", Vocabulary(["chardonnay"]))
    assert [group[0] for group in query.groups] == [Term("chard", prefix=True), Term("xl", prefix=False)]


def test_a_word_the_catalog_never_uses_is_searched_with_its_nearest_words():
    vocabulary = Vocabulary(["cabernet", "cabinet", "merlot", "honeycrisp"])
    query = parse("cabernte honeycrsip", vocabulary)
    assert [[t.text for t in group] for group in query.groups] == [
        ["cabernte", "cabernet"],
        ["honeycrsip", "honeycrisp"],
    ]
    assert query.corrected == (("cabernte", ("cabernet",)), ("honeycrsip", ("honeycrisp",)))
    # a known word, or the start of one, is left alone; so is a short one
    assert parse("cabinet cab merlo", vocabulary).corrected == ()
    assert parse("wien", Vocabulary(["wine"])).corrected == (("wien", ("wine",)),)  # one edit at four


def test_a_chinese_word_the_catalog_does_not_use_is_split_into_what_it_does():
    query = parse("蜜脆苹果", Vocabulary(["蜜", "脆", "苹果"]))
    # jieba cuts 蜜脆 / 苹果; 蜜脆, a word no product uses, is searched as its two characters,
    # after the words (so that a long query keeps the words within its limit)
    assert [group[0].text for group in query.groups] == ["苹果", "蜜", "脆"]


def test_a_state_named_in_the_query_is_asked_for_not_searched_for():
    query = parse("加州红酒", Vocabulary(["葡萄酒"]))
    assert query.states == ("CA",)
    assert [group[0].text for group in query.groups] == ["红酒"]
    assert parse("New York apples", Vocabulary(["apples"])).states == ("NY",)
    assert parse("oregon pinot", Vocabulary([])).states == ("OR",)
    assert parse("华盛顿", Vocabulary([])).states == ()  # the capital as often as the state


def test_stop_words_and_punctuation_are_not_searched_for():
    assert parse("the, of & 的", Vocabulary([])).groups == ()


def test_a_phrase_is_indexed_whole_and_as_its_words():
    doc = document(titles=["Russian River Pinot Noir"], texts=["A bright Pinot Noir."], codes=[])
    assert doc.title.split() == ["russian", "river", "pinotnoir", "pinot", "noir"]
    assert {"pinotnoir", "pinot", "noir", "bright"} <= set(doc.body.split())


def test_every_synonym_is_a_word_the_index_can_hold():
    groups = synonyms()
    assert len(groups) > 100
    bad = sorted(word for group in groups.values() for word in group if not re.fullmatch(TOKEN, word))
    assert bad == []
    assert {"t-shirt", "lip balm"}.isdisjoint(groups)  # phrases are there joined: tshirt, lipbalm
    assert {"tshirt", "lipbalm"} <= groups.keys()


def test_a_sentence_keeps_the_words_the_catalog_uses_and_drops_the_characters_it_never_does():
    query = parse("我想买一瓶好喝的加州红酒", Vocabulary(["葡萄酒", "好"]))
    assert [group[0].text for group in query.groups] == ["红酒", "好"]
    assert query.states == ("CA",)


def test_a_script_search_does_not_read_leaves_no_word():
    for typed in ("вино", "ワイン", "🍷"):
        assert parse(typed, Vocabulary(["wine"])).groups == (), typed
