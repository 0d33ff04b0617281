"""Products with options (Size) sold as variants, each with its own SKU, price, stock, weight and
measurements; the API names a product alone where it has one variant, and a variant otherwise."""

from lxml import etree

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import (
    SWEATER,
    create_product,
    create_sweater,
    sweater_variants,
    variant_ids,
)
from tests.helpers import assert_problem
from tests.order.factories import order_body, place

CEB = {"ceb": "http://www.chinaport.gov.cn/ceb"}


def _ordering(lines):
    """An order body naming products and variants as given."""
    return {**order_body([]), "lines": lines}


def _count(api, seller) -> int:
    return len(api.get("/api/v1/products", params={"seller_id": seller.id, "limit": 100}).json()["items"])


def test_a_product_with_sizes_lists_each_variant_with_its_own_price_stock_and_chinese_size(api):
    # given a seller
    seller = seller_with_profile(api)
    # when they list a sweater in S, M and L
    sweater = create_sweater(api, seller)
    # then the product carries its option and three variants, each priced in yuan at 7.1000
    assert sweater["options"] == [{"name": {"en": "Size", "zh": "尺码"}, "values": ["S", "M", "L"]}]
    shown = [
        (v["sku"].rsplit("-", 1)[1], v["options"], v["price"]["amount"], v["price_cny"]["amount"], v["stock"])
        for v in sweater["variants"]
    ]
    assert shown == [
        ("S", ["S"], 11000, 78100, 10),
        ("M", ["M"], 11800, 83780, 20),
        ("L", ["L"], 11800, 83780, 30),
    ]
    assert [v["zh_size"] for v in sweater["variants"]] == ["165/84A", "170/88A", "175/92A"]
    assert [v["weight_grams"] for v in sweater["variants"]] == [680, 720, 760]
    assert sweater["variants"][2]["attributes"] == {"fit_height_cm": 175, "fit_chest_cm": 92}
    # the product shows the lowest price and all the stock
    assert (sweater["price"]["amount"], sweater["price_cny"]["amount"], sweater["stock"]) == (
        11000,
        78100,
        60,
    )
    # and GET shows the same, while a variant is not a product of its own
    assert api.get(f"/api/v1/products/{sweater['id']}").json()["variants"] == sweater["variants"]
    lone = api.get(f"/api/v1/products/{variant_ids(sweater)['L']}")
    assert (lone.status_code, lone.json()["code"]) == (404, "product_not_found")
    assert _count(api, seller) == 1


def test_a_product_without_options_is_its_own_only_variant(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller, sku="NAPA-ONE")
    assert wine["options"] == []
    assert [(v["id"], v["sku"], v["options"], v["stock"]) for v in wine["variants"]] == [
        (wine["id"], "NAPA-ONE", [], 100)
    ]


def test_bad_variants_are_refused_and_nothing_is_listed(api):
    seller = seller_with_profile(api)
    create_product(api, seller, sku="TAKEN-1")
    sku = "SW-BAD"
    cases = [
        # a value the option does not list
        ({"variants": [{**sweater_variants(sku)[0], "options": ["XXL"]}]}, 422, "invalid_variants"),
        # two variants of the same size
        (
            {"variants": [sweater_variants(sku)[0], {**sweater_variants(sku)[1], "options": ["s"]}]},
            422,
            "invalid_variants",
        ),
        # a measurement is the variant's, its material the product's
        (
            {"variants": [{**sweater_variants(sku)[0], "attributes": {"material": "wool"}}]},
            422,
            "invalid_variants",
        ),
        # one value too many
        ({"variants": [{**sweater_variants(sku)[0], "options": ["S", "Navy"]}]}, 422, "invalid_variants"),
        # a variant's SKU the seller already lists
        ({"variants": [{**sweater_variants(sku)[0], "sku": "TAKEN-1"}]}, 409, "duplicate_sku"),
        # options without variants, and a product price beside variants
        ({"variants": []}, 422, "validation_error"),
        (
            {"price": {"amount": 100, "currency": "USD"}, "variants": sweater_variants(sku)},
            422,
            "validation_error",
        ),
    ]
    for overrides, status, code in cases:
        response = api.post(
            "/api/v1/products", json={"sku": sku, **SWEATER, **overrides}, headers=seller.headers
        )
        assert (response.status_code, response.json()["code"]) == (status, code), overrides
    assert _count(api, seller) == 1


def test_an_order_names_the_variant_and_takes_only_its_stock(api):
    # given a sweater in three sizes and a buyer
    seller = seller_with_profile(api, shipping_fee_cents=0)
    sweater = create_sweater(api, seller)
    size = variant_ids(sweater)
    buyer = buyer_with_identity(api)
    # when the buyer names the product alone, it is refused: it comes in three sizes
    alone = place(api, buyer, [(sweater["id"], 1)])
    assert (alone.status_code, alone.json()["code"]) == (422, "variant_required")
    # and a size of another product is no size of this one
    other = create_sweater(api, seller)
    wrong = api.post(
        "/api/v1/orders",
        json=_ordering([{"product_id": sweater["id"], "variant_id": variant_ids(other)["L"], "quantity": 1}]),
        headers=buyer.headers,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "unknown_variant")
    # when they order two of size L
    placed = api.post(
        "/api/v1/orders",
        json=_ordering([{"product_id": sweater["id"], "variant_id": size["L"], "quantity": 2}]),
        headers=buyer.headers,
    )
    assert placed.status_code == 201, placed.text
    (line,) = placed.json()["lines"]
    # then the line names the product and the variant, at the variant's price
    assert (line["product_id"], line["variant_id"], line["quantity"]) == (sweater["id"], size["L"], 2)
    assert (line["unit_price_usd"]["amount"], line["goods"]["amount"]) == (11800, 167560)
    # and only L's stock went down
    after = api.get(f"/api/v1/products/{sweater['id']}").json()
    assert [v["stock"] for v in after["variants"]] == [10, 20, 28]
    assert after["stock"] == 58


def test_a_quote_prices_the_variant_and_a_product_without_options_takes_its_own_id(api):
    seller = seller_with_profile(api, shipping_fee_cents=0)
    sweater = create_sweater(api, seller)
    wine = create_product(api, seller)
    quote = api.post(
        "/api/v1/quotes",
        json={
            "lines": [
                {"product_id": sweater["id"], "variant_id": variant_ids(sweater)["S"], "quantity": 1},
                {"product_id": wine["id"], "variant_id": wine["id"], "quantity": 1},
            ]
        },
    )
    assert quote.status_code == 200, quote.text
    lines = {
        (line["product_id"], line["variant_id"]): line["unit_price"]["amount"]
        for line in quote.json()["lines"]
    }
    assert lines == {(sweater["id"], variant_ids(sweater)["S"]): 78100, (wine["id"], None): 21300}
    # a variant's id is not a product id
    as_product = api.post(
        "/api/v1/quotes", json={"lines": [{"product_id": variant_ids(sweater)["S"], "quantity": 1}]}
    )
    assert (as_product.status_code, as_product.json()["code"]) == (422, "unknown_variant")


def test_the_seller_changes_one_variant_and_adds_another(api):
    seller = seller_with_profile(api)
    sweater = create_sweater(api, seller)
    size = variant_ids(sweater)
    # a variant's price and stock change on the variant; the product's lowest price follows
    changed = api.patch(
        f"/api/v1/products/{sweater['id']}/variants/{size['S']}",
        json={"price": {"amount": 12500, "currency": "USD"}, "stock_delta": -4},
        headers=seller.headers,
    )
    assert changed.status_code == 200, changed.text
    assert [(v["price"]["amount"], v["stock"]) for v in changed.json()["variants"]] == [
        (12500, 6),
        (11800, 20),
        (11800, 30),
    ]
    assert changed.json()["price"]["amount"] == 11800
    # the product's own price and stock are refused: they are each variant's
    refused = api.patch(f"/api/v1/products/{sweater['id']}", json={"stock_delta": 5}, headers=seller.headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "variant_required")
    # the same size again is refused
    twice = {**sweater_variants("X")[2], "sku": sweater["sku"] + "-L2"}
    again = api.post(f"/api/v1/products/{sweater['id']}/variants", json=twice, headers=seller.headers)
    assert (again.status_code, again.json()["code"]) == (422, "invalid_variants")
    # another seller cannot touch the variants
    stranger = seller_with_profile(api)
    theirs = api.patch(
        f"/api/v1/products/{sweater['id']}/variants/{size['M']}",
        json={"stock_delta": 1},
        headers=stranger.headers,
    )
    assert (theirs.status_code, theirs.json()["code"]) == (403, "not_your_product")
    assert [v["stock"] for v in api.get(f"/api/v1/products/{sweater['id']}").json()["variants"]] == [
        6,
        20,
        30,
    ]


def test_a_new_size_is_added_as_a_variant_and_to_the_option(api):
    seller = seller_with_profile(api)
    sweater = create_sweater(api, seller)
    xl = {**sweater_variants("X")[2], "sku": sweater["sku"] + "-XL", "options": ["XL"], "stock": 5}
    added = api.post(f"/api/v1/products/{sweater['id']}/variants", json=xl, headers=seller.headers)
    assert added.status_code == 201, added.text
    assert added.json()["options"][0]["values"] == ["S", "M", "L", "XL"]
    assert [(v["options"], v["stock"]) for v in added.json()["variants"]][-1] == (["XL"], 5)
    assert added.json()["stock"] == 65
    # a variant added to a product without options is refused: it has no option to vary
    wine = create_product(api, seller)
    refused = api.post(
        f"/api/v1/products/{wine['id']}/variants", json=xl | {"sku": "X-1"}, headers=seller.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid_variants")
    assert api.get(f"/api/v1/products/{wine['id']}").json()["variants"][0]["id"] == wine["id"]


def test_a_title_changed_on_the_product_is_what_customs_is_told_of_each_variant(api):
    seller = seller_with_profile(api, shipping_fee_cents=0)
    sweater = create_sweater(api, seller)
    renamed = api.patch(
        f"/api/v1/products/{sweater['id']}",
        json={"title": {"en": "Fisherman Sweater", "zh": "渔夫毛衣"}},
        headers=seller.headers,
    )
    assert renamed.status_code == 200, renamed.text
    buyer = buyer_with_identity(api)
    lines = [{"product_id": sweater["id"], "variant_id": variant_ids(sweater)["M"], "quantity": 1}]
    order = api.post("/api/v1/orders", json=_ordering(lines), headers=buyer.headers).json()
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    xml = api.get(f"/api/v1/orders/{order['id']}/customs/CEB311.xml", headers=seller.headers)
    (item,) = etree.fromstring(xml.content).findall(".//ceb:OrderList", CEB)
    declared = [item.findtext(f"ceb:{name}", namespaces=CEB) for name in ("itemNo", "itemName", "gmodel")]
    assert declared == [f"{sweater['sku']}-M", "渔夫毛衣（M）", "Fisherman Sweater (M)"]


def test_a_refund_names_the_variant_when_the_order_holds_two_of_one_product(api):
    # given a paid order of one S ($110) and one L ($118) of a sweater, and a wine
    seller = seller_with_profile(api, shipping_fee_cents=0)
    sweater = create_sweater(api, seller)
    wine = create_product(api, seller)
    size = variant_ids(sweater)
    buyer = buyer_with_identity(api)
    lines = [
        {"product_id": sweater["id"], "variant_id": size["S"], "quantity": 1},
        {"product_id": sweater["id"], "variant_id": size["L"], "quantity": 1},
        {"product_id": wine["id"], "quantity": 1},
    ]
    order = api.post("/api/v1/orders", json=_ordering(lines), headers=buyer.headers).json()
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text

    def refund(named):
        return api.post(
            f"/api/v1/orders/{order['id']}/refunds",
            json={"lines": [{**named, "quantity": 1}], "reason": "too small"},
            headers=seller.headers,
        )

    # the product alone is ambiguous; a size of it named under another product, or a size's id
    # given as a product's, names no line of the order
    assert_problem(refund({"product_id": sweater["id"]}), 422, "variant_required")
    assert_problem(refund({"product_id": wine["id"], "variant_id": size["L"]}), 422, "refund_line_unknown")
    assert_problem(refund({"product_id": size["L"]}), 422, "refund_line_unknown")
    # when L is named, L is refunded: its goods and its tax, not S's
    made = refund({"product_id": sweater["id"], "variant_id": size["L"]})
    assert made.status_code == 201, made.text
    line_l, line_s = (next(x for x in order["lines"] if x.get("variant_id") == size[v]) for v in ("L", "S"))
    assert line_l["goods"]["amount"] != line_s["goods"]["amount"]
    assert made.json()["amount"]["amount"] == line_l["goods"]["amount"] + line_l["tax"]["amount"]
    assert made.json()["lines"] == [{"product_id": sweater["id"], "variant_id": size["L"], "quantity": 1}]
    # L has nothing left to refund; the wine (no options) is named by its id alone
    assert_problem(
        refund({"product_id": sweater["id"], "variant_id": size["L"]}), 409, "refund_quantity_exceeded"
    )
    wine_refund = refund({"product_id": wine["id"]})
    assert wine_refund.status_code == 201, wine_refund.text
    assert wine_refund.json()["lines"] == [{"product_id": wine["id"], "quantity": 1}]


def test_what_the_seller_changes_on_the_product_every_variant_is_sold_and_declared_with(api):
    # given a sweater in three sizes
    seller = seller_with_profile(api, shipping_fee_cents=0)
    sweater = create_sweater(api, seller)
    size = variant_ids(sweater)
    l_line = [{"product_id": sweater["id"], "variant_id": size["L"], "quantity": 1}]
    # when the seller drops the GB 18401 category from the product's attributes
    dropped = api.patch(
        f"/api/v1/products/{sweater['id']}", json={"attributes": {"material": "wool"}}, headers=seller.headers
    )
    assert dropped.status_code == 200, dropped.text
    # then size L is not sold without it, and keeps its own measurements
    quote = api.post("/api/v1/quotes", json={"lines": l_line}).json()
    assert [p["code"] for p in quote["problems"]] == ["gb18401_category_missing"]
    after = api.get(f"/api/v1/products/{sweater['id']}").json()
    assert [v["zh_size"] for v in after["variants"]] == ["165/84A", "170/88A", "175/92A"]
    assert after["variants"][2]["attributes"] == {"fit_height_cm": 175, "fit_chest_cm": 92}
    # and with the category back and a new HS code, the order of L is declared under it
    changed = api.patch(
        f"/api/v1/products/{sweater['id']}",
        json={"attributes": {"gb18401_category": "B"}, "hs_code": "6110.30", "category": "garments"},
        headers=seller.headers,
    )
    assert changed.status_code == 200, changed.text
    buyer = buyer_with_identity(api)
    placed = api.post("/api/v1/orders", json=_ordering(l_line), headers=buyer.headers)
    assert placed.status_code == 201, placed.text
    assert [(line["variant_id"], line["hs_code"]) for line in placed.json()["lines"]] == [
        (size["L"], "6110.30")
    ]
