"""The positive list's remarks over HTTP: lines not on the list, excluded goods, bonded-warehouse
only, and yearly quantity caps per person (by ID number, across accounts)."""

import asyncio

import httpx

from tests.auth.factories import account_taking_over, buyer_with_identity, new_id_number, seller_with_profile
from tests.catalog.factories import APPLES, WINE, create_product, stock_of, sugar
from tests.compliance.factories import add_rows, list_row, tax_row
from tests.order.factories import order_body, order_ids, place
from tests.order.return_factories import ask_return, delivered_order


def quote(api, buyer, product_id, quantity):
    body = {"lines": [{"product_id": product_id, "quantity": quantity}]}
    return api.post("/api/v1/quotes", json=body, headers=buyer.headers).json()


def test_sugar_is_capped_at_2_kg_per_person_a_year(api, app, operator_token):
    # The packaged list carries the remark (1701: 2,000 g a year); the tax row is test data.
    add_rows(app, "tax_rules", [tax_row("1701")])
    seller = seller_with_profile(api)
    bag = sugar(api, seller)
    assert bag["problems"] == []
    id_number = new_id_number()
    buyer = buyer_with_identity(api, id_number=id_number)

    first = place(api, buyer, [(bag["id"], 3)])  # 1,500 g
    assert first.status_code == 201, first.text
    over = quote(api, buyer, bag["id"], 2)  # 1,000 g more
    assert [(p["code"], p["message"]) for p in over["problems"]] == [
        (
            "yearly_quantity_cap",
            "HS 1701 goods are capped at 2000 g per person a year; "
            "you hold 1500 g and this order adds 1000 g.",
        )
    ]
    refused = place(api, buyer, [(bag["id"], 2)])
    assert (refused.status_code, refused.json()["code"]) == (422, "yearly_quantity_cap")
    assert (stock_of(api, bag["id"]), len(order_ids(api, buyer))) == (47, 1)

    # the person's second account (the number freed from the first) shares the person's cap
    twin = account_taking_over(api, operator_token, id_number)
    assert place(api, twin, [(bag["id"], 2)]).json()["code"] == "yearly_quantity_cap"
    assert place(api, twin, [(bag["id"], 1)]).status_code == 201  # exactly 2,000 g

    # cancelling gives the grams back
    cancelled = api.post(f"/api/v1/orders/{first.json()['id']}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert quote(api, twin, bag["id"], 3)["problems"] == []
    assert place(api, twin, [(bag["id"], 4)]).json()["code"] == "yearly_quantity_cap"
    assert place(api, twin, [(bag["id"], 3)]).status_code == 201
    assert stock_of(api, bag["id"]) == 46


def test_capped_goods_must_declare_their_net_content_in_grams(api, app):
    add_rows(app, "tax_rules", [tax_row("1006")])  # rice: 20 kg a year on the packaged list
    seller = seller_with_profile(api)
    rice = sugar(api, seller, hs_code="1006.30", attributes={"net_content": 2, "unit": "piece"})
    buyer = buyer_with_identity(api)
    assert [p["code"] for p in quote(api, buyer, rice["id"], 1)["problems"]] == ["net_content_missing"]
    assert place(api, buyer, [(rice["id"], 1)]).json()["code"] == "net_content_missing"
    assert order_ids(api, buyer) == []


def test_goods_with_a_tax_row_but_no_list_line_are_not_on_the_list(api, app):
    add_rows(app, "tax_rules", [tax_row("9505")])
    seller = seller_with_profile(api)
    ornament = sugar(api, seller, hs_code="9505.10", attributes={})
    buyer = buyer_with_identity(api)
    problems = quote(api, buyer, ornament["id"], 1)["problems"]
    assert [(p["code"], p["product_id"]) for p in problems] == [("not_on_positive_list", ornament["id"])]
    assert place(api, buyer, [(ornament["id"], 1)]).json()["code"] == "not_on_positive_list"


def test_an_excluded_line_is_refused_with_its_own_code(api, app):
    add_rows(app, "tax_rules", [tax_row("0301")])
    add_rows(app, "positive_list_entries", [list_row("0301", excluded=True)])
    seller = seller_with_profile(api)
    fish = sugar(api, seller, hs_code="0301.11", attributes={})
    buyer = buyer_with_identity(api)
    problems = quote(api, buyer, fish["id"], 1)["problems"]
    assert [(p["code"], p["message"]) for p in problems] == [
        (
            "excluded_from_positive_list",
            "HS 0301.11 is on the CBEC positive list, but a remark excludes these goods.",
        )
    ]
    refused = place(api, buyer, [(fish["id"], 1)])
    assert (refused.status_code, refused.json()["code"]) == (422, "excluded_from_positive_list")
    assert (stock_of(api, fish["id"]), order_ids(api, buyer)) == (50, [])


def test_a_bonded_only_line_marks_its_listings(api):
    seller = seller_with_profile(api, state="WA")
    # fresh apples are bonded only on the packaged list, whether or not the seller ships cold-chain
    attributes = {k: v for k, v in APPLES["attributes"].items() if k != "cold_chain"}
    apples = create_product(api, seller, APPLES, attributes=attributes)
    assert apples["problems"] == []
    assert apples["bonded_warehouse_only"] is True
    wine = create_product(api, seller, WINE)
    assert wine["bonded_warehouse_only"] is False


def test_a_narrower_line_cannot_escape_the_broader_lines_cap(api, app):
    add_rows(app, "tax_rules", [tax_row("1701")])
    add_rows(app, "positive_list_entries", [list_row("170199")])  # no cap of its own
    seller = seller_with_profile(api)
    bag = sugar(api, seller)
    buyer = buyer_with_identity(api)
    problems = quote(api, buyer, bag["id"], 5)["problems"]  # 2,500 g
    assert [p["code"] for p in problems] == ["yearly_quantity_cap"]


def test_a_pack_counts_every_unit_in_it(api, app):
    add_rows(app, "tax_rules", [tax_row("1701")])
    seller = seller_with_profile(api)
    six_pack = sugar(api, seller, attributes={"net_content": 500, "unit": "g", "units": 6})  # 3,000 g
    buyer = buyer_with_identity(api)
    (problem,) = quote(api, buyer, six_pack["id"], 1)["problems"]
    assert problem["message"] == (
        "HS 1701 goods are capped at 2000 g per person a year; you hold 0 g and this order adds 3000 g."
    )


def test_a_listed_line_without_a_tax_rate_says_so(api, app):
    add_rows(app, "positive_list_entries", [list_row("0409")])  # honey, no tax row
    seller = seller_with_profile(api)
    honey = sugar(api, seller, hs_code="0409.00", attributes={})
    buyer = buyer_with_identity(api)
    (problem,) = quote(api, buyer, honey["id"], 1)["problems"]
    assert (problem["code"], problem["message"]) == (
        "no_tax_rate",
        "HS 0409.00 is on the CBEC positive list, but no tax rate for it is in force yet; "
        "an operator must import one.",
    )
    assert place(api, buyer, [(honey["id"], 1)]).json()["code"] == "no_tax_rate"


def test_racing_orders_cannot_pass_the_cap_together(live_api, database_url, server):
    add_rows(database_url, "tax_rules", [tax_row("1701")])
    seller = seller_with_profile(live_api)
    bag = sugar(live_api, seller, attributes={"net_content": 1000, "unit": "g"})
    buyer = buyer_with_identity(live_api)
    assert place(live_api, buyer, [(bag["id"], 1)]).status_code == 201  # 1,000 g held

    async def race():
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post("/api/v1/orders", json=order_body([(bag["id"], 1)]), headers=buyer.headers)
                    for _ in range(8)
                )
            )

    responses = asyncio.run(race())
    assert sorted(r.status_code for r in responses) == [201] + [422] * 7, [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 422} == {"yearly_quantity_cap"}
    assert (len(order_ids(live_api, buyer)), stock_of(live_api, bag["id"])) == (2, 48)


def test_a_refunded_return_gives_the_capped_grams_back(api, app):
    add_rows(app, "tax_rules", [tax_row("1701")])
    seller = seller_with_profile(api)
    bag = sugar(api, seller, attributes={"net_content": 1000, "unit": "g"})
    buyer = buyer_with_identity(api)
    order = delivered_order(api, buyer, seller, [(bag["id"], 2)])  # the whole 2,000 g
    assert place(api, buyer, [(bag["id"], 1)]).json()["code"] == "yearly_quantity_cap"

    assert ask_return(api, buyer, order["id"]).status_code == 200
    accepted = api.post(f"/api/v1/orders/{order['id']}/return/accept", json={}, headers=seller.headers)
    assert accepted.status_code == 200, accepted.text

    assert place(api, buyer, [(bag["id"], 2)]).status_code == 201
