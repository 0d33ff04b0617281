"""Customs is told what the buyer ordered, not what the seller's listing says today."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.models import OrderLine
from tests.auth.factories import buyer_with_identity
from tests.catalog.factories import WINE, create_product
from tests.customs.helpers import field, seller_with_customs_code, xml_of
from tests.helpers import in_db
from tests.order.factories import place

LINE = "ceb:Order/ceb:OrderList/ceb:"
WAYBILL = "ceb:Logistics/ceb:LogisticsHead/ceb:"


def pay_and_ship(api, buyer, seller, order_id: int) -> None:
    paid = api.post(f"/api/v1/orders/{order_id}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    shipped = api.post(
        f"/api/v1/orders/{order_id}/ship", json={"tracking_number": "SF0000000002"}, headers=seller.headers
    )
    assert shipped.status_code == 200, shipped.text


def edit_listing(api, seller, product_id: int) -> None:
    edited = api.patch(
        f"/api/v1/products/{product_id}",
        json={"title": {"en": "Renamed Red", "zh": "改名后的红酒"}, "weight_grams": 900},
        headers=seller.headers,
    )
    assert edited.status_code == 200, edited.text


def test_an_edit_after_the_order_does_not_change_its_messages(api):
    # given an order for two bottles of the wine (1400 g each)
    seller, _ = seller_with_customs_code(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()
    # when the seller renames the wine and changes its weight, then the order is paid and shipped
    edit_listing(api, seller, wine["id"])
    pay_and_ship(api, buyer, seller, order["id"])
    # then the order and the waybill carry the wine as it was ordered
    order_xml = xml_of(api, order["id"], "CEB311", seller)
    assert [field(order_xml, LINE + name) for name in ("itemNo", "itemName", "gmodel")] == [
        wine["sku"],
        WINE["title"]["zh"],
        WINE["title"]["en"],
    ]
    waybill_xml = xml_of(api, order["id"], "CEB511", seller)
    assert [field(waybill_xml, WAYBILL + name) for name in ("weight", "goodsInfo")] == [
        "2.800",
        WINE["title"]["zh"],
    ]


def test_lines_placed_before_the_product_was_kept_read_the_product(api, app):
    # given an order whose line keeps nothing of its product, as lines placed before did not
    seller, _ = seller_with_customs_code(api)
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], 2)]).json()

    async def forget(session: AsyncSession) -> None:
        await session.execute(
            update(OrderLine)
            .where(OrderLine.order_id == order["id"])
            .values(item_name_zh=None, item_name_en=None, item_sku=None, weight_grams=None)
        )

    in_db(app, forget, write=True)
    # when the listing changes and the order is paid and shipped
    edit_listing(api, seller, wine["id"])
    pay_and_ship(api, buyer, seller, order["id"])
    # then the messages read the product as it is
    order_xml = xml_of(api, order["id"], "CEB311", seller)
    assert [field(order_xml, LINE + name) for name in ("itemNo", "itemName", "gmodel")] == [
        wine["sku"],
        "改名后的红酒",
        "Renamed Red",
    ]
    waybill_xml = xml_of(api, order["id"], "CEB511", seller)
    assert field(waybill_xml, WAYBILL + "weight") == "1.800"
