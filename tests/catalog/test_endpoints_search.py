"""GET /api/v1/products as a search: facets with exact counts, filters, sorts, offset pages,
relevance, typos, synonyms and pinyin, and the refusals of what it cannot read.

Other tests' committed products share the database, so each test searches for a tag word of its
own, written into its products' titles."""

import uuid

from sqlalchemy import select, update

from kuajing.catalog import service as catalog_service
from kuajing.catalog.search import analysis_version
from kuajing.models import ProductSearch
from tests.auth.factories import seller_with_profile
from tests.catalog.factories import APPLES, TEE, WINE, create_product


def tag() -> str:
    return "zq" + uuid.uuid4().hex[:8]


def titled(template, word: str, en: str | None = None):
    return {"en": f"{en or template['title']['en']} {word}", "zh": template["title"]["zh"]}


def search(api, **params):
    response = api.get("/api/v1/products", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(page):
    return [item["id"] for item in page["items"]]


def counts(facet):
    return [(entry["value"], entry["count"]) for entry in facet]


def test_facets_count_what_each_choice_would_show_and_filters_narrow(api):
    word = tag()
    california = seller_with_profile(api, state="CA")
    washington = seller_with_profile(api, state="WA")
    wines = [create_product(api, california, WINE, title=titled(WINE, word)) for _ in range(2)]
    tee = create_product(api, california, TEE, title=titled(TEE, word))
    apples = create_product(api, washington, APPLES, title=titled(APPLES, word))
    # one unit landed, tax and shipping included ($5.00 shipping at 7.1000)
    assert [p["landed"]["amount"] for p in (wines[0], tee, apples)] == [29296, 38731, 22642]

    everything = search(api, q=word)
    assert sorted(ids(everything)) == [wines[0]["id"], wines[1]["id"], tee["id"], apples["id"]]
    assert everything["total"] == 4
    assert everything["partial"] is False and everything["corrected"] == []
    facets = everything["facets"]
    assert counts(facets["category"]) == [("wine", 2), ("fruit", 1), ("garments", 1)]
    assert counts(facets["state"]) == [("CA", 3), ("WA", 1)]
    assert counts(facets["price_band"]) == [("200-500", 4)]
    assert counts(facets["seller"]) == [(str(california.id), 3), (str(washington.id), 1)]

    in_washington = search(api, q=word, state="WA")
    assert ids(in_washington) == [apples["id"]]
    # a facet counts without its own filter: the other state stays in view, with its count
    assert counts(in_washington["facets"]["state"]) == [("CA", 3), ("WA", 1)]
    assert counts(in_washington["facets"]["category"]) == [("fruit", 1)]

    garments = search(api, q=word, category="garments", seller_id=california.id)
    assert ids(garments) == [tee["id"]]
    assert counts(garments["facets"]["seller"]) == [(str(california.id), 1)]
    assert sorted(ids(search(api, q=word, price_band="200-500", category="wine"))) == [w["id"] for w in wines]
    assert search(api, q=word, price_band="0-100")["items"] == []


def test_sorts_by_price_with_tax_and_by_newest(api):
    word = tag()
    seller = seller_with_profile(api)
    cheap = create_product(api, seller, APPLES, title=titled(APPLES, word))
    dear = create_product(api, seller, TEE, title=titled(TEE, word))
    middle = create_product(api, seller, WINE, title=titled(WINE, word))

    assert ids(search(api, q=word, sort="price_asc")) == [cheap["id"], middle["id"], dear["id"]]
    assert ids(search(api, q=word, sort="price_desc")) == [dear["id"], middle["id"], cheap["id"]]
    assert ids(search(api, q=word, sort="newest")) == [middle["id"], dear["id"], cheap["id"]]


def test_offset_pages_walk_the_found_products_once_in_order(api):
    word = tag()
    seller = seller_with_profile(api)
    listed = [create_product(api, seller, WINE, title=titled(WINE, word))["id"] for _ in range(5)]
    seen, cursor, totals = [], None, set()
    while True:
        page = search(api, q=word, sort="newest", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += ids(page)
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == listed[::-1]
    assert totals == {5}


def test_a_title_match_ranks_above_a_description_match(api):
    word = tag()
    seller = seller_with_profile(api)
    described = create_product(
        api,
        seller,
        APPLES,
        title=titled(APPLES, word, en="Gala Apples"),
        description={"en": "Good with honeycrisp or alone.", "zh": "脆甜。"},
    )
    named = create_product(api, seller, APPLES, title=titled(APPLES, word, en="Honeycrisp Apples"))

    assert ids(search(api, q=f"honeycrisp {word}")) == [named["id"], described["id"]]


def test_synonyms_pinyin_initials_and_a_typo_find_the_same_wine(api):
    word = tag()
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE, title=titled(WINE, word))
    create_product(api, seller, APPLES, title=titled(APPLES, word))

    for q in ("红酒", "wine", "putaojiu", "ptj", "hongjiu", "chixiazhu", "Ｃａｂｅｒｎｅｔ"):
        assert ids(search(api, q=f"{q} {word}")) == [wine["id"]], q
    typo = search(api, q=f"cabernte {word}")
    assert ids(typo) == [wine["id"]]
    assert typo["corrected"] == [{"typed": "cabernte", "searched": ["cabernet"]}]


def test_a_state_named_in_the_query_asks_for_its_sellers(api):
    word = tag()
    california = seller_with_profile(api, state="CA")
    oregon = seller_with_profile(api, state="OR")
    napa = create_product(api, california, WINE, title=titled(WINE, word))
    create_product(api, oregon, WINE, title=titled(WINE, word))

    assert ids(search(api, q=f"加州红酒 {word}")) == [napa["id"]]
    assert ids(search(api, q=f"california wine {word}")) == [napa["id"]]


def test_when_no_product_has_every_word_those_with_some_come_marked_partial(api):
    word = tag()
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE, title=titled(WINE, word))

    page = search(api, q=f"{word} qzxjvw")  # a word no product has, and none near it
    assert ids(page) == [wine["id"]]
    assert page["partial"] is True
    assert search(api, q=word)["partial"] is False


def test_what_the_search_cannot_read_is_refused_by_name(api):
    for params, code in (
        ({"sort": "cheapest"}, "validation_error"),
        ({"state": "ca"}, "validation_error"),
        ({"price_band": "0-50"}, "validation_error"),
        ({"cursor": "aWQ6MTI"}, "invalid_cursor"),  # an id cursor of the old keyset pages
        ({"q": "x" * 101}, "validation_error"),
    ):
        response = api.get("/api/v1/products", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code, params


def test_words_search_cannot_read_find_nothing_rather_than_everything(api):
    seller = seller_with_profile(api)
    create_product(api, seller, WINE)
    for typed in ("вино", "🍷"):
        page = search(api, q=typed)
        assert (page["items"], page["total"], page["facets"]["category"]) == ([], 0, []), typed
    assert search(api, q="!!")["total"] >= 1  # nothing typed but punctuation: the catalog


def test_a_document_an_older_analysis_wrote_is_rewritten_at_the_next_start(app, api):
    word = tag()
    seller = seller_with_profile(api)
    wine = create_product(api, seller, WINE, title=titled(WINE, word))

    async def outdate(session):
        await session.execute(
            update(ProductSearch)
            .where(ProductSearch.product_id == wine["id"])
            .values(title=word, body="", analysis="an-old-one")
        )

    app.run(outdate)
    outdated = search(api, q=f"putaojiu {word}")  # the old document has no pinyin: a partial match
    assert (ids(outdated), outdated["partial"]) == ([wine["id"]], True)

    assert app.run(catalog_service.index_unindexed) == 1  # as prepare_database does at a start: ours alone

    async def analysis_of(session):
        return await session.scalar(
            select(ProductSearch.analysis).where(ProductSearch.product_id == wine["id"])
        )

    assert app.run(analysis_of) == analysis_version()
    rewritten = search(api, q=f"putaojiu {word}")
    assert (ids(rewritten), rewritten["partial"]) == ([wine["id"]], False)


def test_a_word_a_database_parser_reads_as_a_number_is_found_as_typed(api):
    """PostgreSQL's parser splits 92e5ae into the number 92e5 and ae, in documents and queries
    alike; FTS5 keeps it whole. Either way it finds its product."""
    seller = seller_with_profile(api)
    word = "92e5" + uuid.uuid4().hex[:6]
    wine = create_product(api, seller, WINE, title=titled(WINE, word))
    assert ids(search(api, q=f"葡萄酒 {word}")) == [wine["id"]]
    assert ids(search(api, q=word)) == [wine["id"]]
