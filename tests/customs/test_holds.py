"""Drafts kept on hold instead of failing the payment or shipping that drafts them, and holds
that keep a message from going out."""

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import Order, Product
from tests.auth.factories import buyer_with_identity
from tests.catalog.factories import create_product
from tests.customs.helpers import customs_of, seller_with_customs_code
from tests.order.factories import place
from tests.order.return_factories import in_database

NOT_VALID = "(missing, empty once cleaned, or not valid)"


def change(database_url: str, model: Any, row_id: int, **values: Any) -> None:
    """Write what the API would refuse today but older rows (or a missed check) may hold."""

    async def write(session: AsyncSession) -> None:
        await session.execute(update(model).where(model.id == row_id).values(**values))

    in_database(database_url, write, write=True)


def test_a_message_that_fails_its_schema_is_held_and_paying_and_shipping_succeed(api, database_url):
    # given a product whose Chinese title is nothing but a control character
    seller, _ = seller_with_customs_code(api)
    product = create_product(api, seller, stock=10)
    change(database_url, Product, product["id"], title_zh="\x01")
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(product["id"], 1)]).json()

    # when the buyer pays
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)

    # then the payment stands and the CEB311 is kept, held, naming the empty itemName
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "paid"
    held_order = "held: CEB311 fails its schema at OrderList/itemName " + NOT_VALID
    found = customs_of(api, order["id"], seller)
    assert {kind: (m["status"], m["hold_reason"]) for kind, m in found.items()} == {
        "CEB311": ("draft", held_order),
        "CEB411": ("draft", None),
    }
    assert [e["reason"] for e in found["CEB311"]["events"]] == [held_order]

    # when the consignee's name is only an ideographic space and the seller ships
    address = {**order["shipping_address"], "name": "\u3000"}
    change(database_url, Order, order["id"], shipping_address=address)
    shipped = api.post(
        f"/api/v1/orders/{order['id']}/ship", json={"tracking_number": "SF0000000001"}, headers=seller.headers
    )

    # then the shipping stands and the CEB511 is held, naming the missing consignee
    assert shipped.status_code == 200, shipped.text
    waybill = customs_of(api, order["id"], seller)["CEB511"]
    assert (waybill["status"], waybill["hold_reason"]) == (
        "draft",
        "held: CEB511 fails its schema at LogisticsHead/consignee " + NOT_VALID,
    )
