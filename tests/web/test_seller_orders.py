"""The seller's orders and sales pages (kuajing/web/seller_orders.py) over HTTP: shipping paid
orders with a tracking number, a shipment refused and explained on every view, and the sales
chart by Beijing day."""

import re
from datetime import datetime, time, timedelta

from sqlalchemy import update

from kuajing.kit.time import BEIJING, beijing_date, utcnow
from kuajing.models import Order
from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import in_db
from tests.order.factories import place
from tests.web.factories import csrf_of, page_text, paid_order, signed_in


def test_a_seller_ships_a_paid_order_with_its_tracking_number(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    order = paid_order(api, seller, wine["id"], quantity=2)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/orders")
        row = re.search(rf'<tr data-order="{order["id"]}">(.*?)</tr>', page.text, re.S).group(1)
        assert "Napa Valley Cabernet Sauvignon 2021 × 2" in row and "$60.00" in row
        assert 'data-status="paid"' in row
        bad = browser.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF 12", "csrf_token": csrf_of(page)},
        )
        assert bad.status_code == 422
        assert "A tracking number is 4 to 40 letters, digits and dashes." in bad.text
        assert 'value="SF 12"' in bad.text
        assert api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()["status"] == "paid"

        shipped = browser.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF1234567890", "csrf_token": csrf_of(page)},
        )
        assert (shipped.status_code, shipped.headers["location"]) == (
            303,
            f"/seller/orders?view=to_ship&shipped={order['id']}",
        )
        after = api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()
        assert (after["status"], after["tracking_number"]) == ("shipped", "SF1234567890")
        assert f'data-order="{order["id"]}"' not in browser.get("/seller/orders").text  # nothing left to ship
        listed = browser.get("/seller/orders?view=shipped").text
        assert "SF1234567890" in listed

        twice = browser.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF999999", "csrf_token": csrf_of(page)},
        )
        assert twice.status_code == 409
        assert (
            api.get(f"/api/v1/orders/{order['id']}", headers=seller.headers).json()["tracking_number"]
            == "SF1234567890"
        )
        assert browser.get("/seller/orders?view=everything").status_code == 400

    with signed_in(api, seller_with_profile(api)) as stranger:
        page = stranger.get("/seller/orders")
        refused = stranger.post(
            f"/seller/orders/{order['id']}/ship",
            data={"tracking_number": "SF1111", "csrf_token": csrf_of(page)},
        )
        assert refused.status_code == 404


def test_shipping_an_order_twice_says_why_even_beside_other_orders(api):
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    first = paid_order(api, seller, wine["id"])
    waiting = paid_order(api, seller, wine["id"])
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/orders")
        ship = {"tracking_number": "SF0000001", "csrf_token": csrf_of(page)}
        assert browser.post(f"/seller/orders/{first['id']}/ship", data=ship).status_code == 303
        twice = browser.post(f"/seller/orders/{first['id']}/ship", data=ship)
        assert twice.status_code == 409
        assert f'data-order="{waiting["id"]}"' in twice.text  # the page still lists the other one
        why = "This order is not waiting to ship: it was shipped already, or it is not paid."
        assert f"Order #{first['id']}: {why}" in page_text(twice.text)
        missing = browser.post("/seller/orders/999999999/ship", data=ship)
        assert missing.status_code == 404
        assert "Order #999999999: There is no such order among yours." in page_text(missing.text)
        assert browser.get("/seller/orders?cursor=not-a-cursor").status_code == 400


def test_shipping_twice_from_the_list_of_all_orders_says_why(api):
    seller = seller_with_profile(api)
    order = paid_order(api, seller, create_product(api, seller)["id"])
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/orders?view=all")
        ship = {"tracking_number": "SF0000002", "view": "all", "csrf_token": csrf_of(page)}
        assert browser.post(f"/seller/orders/{order['id']}/ship", data=ship).status_code == 303
        twice = browser.post(f"/seller/orders/{order['id']}/ship", data=ship)
    assert twice.status_code == 409
    assert f'data-order="{order["id"]}"' in twice.text  # listed, as shipped, without a form
    assert f"Order #{order['id']}: This order is not waiting to ship" in page_text(twice.text)


def test_the_sales_page_counts_paid_orders_by_beijing_day(api):
    seller = seller_with_profile(api, shipping_fee_cents=500)
    wine = create_product(api, seller)
    paid_order(api, seller, wine["id"], quantity=2)
    paid_order(api, seller, wine["id"])
    buyer = buyer_with_identity(api)
    place(api, buyer, [(wine["id"], 1)])  # placed, never paid: not a sale
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/sales")
    assert page.status_code == 200
    assert '<strong id="total-sales">$90.00</strong>' in page.text
    assert '<strong id="total-orders">2</strong>' in page.text
    rows = re.findall(
        r'<tr data-day="(\d{4}-\d\d-\d\d)"><td>[^<]*</td><td>(\d+)</td><td>([^<]*)</td></tr>', page.text
    )
    assert [(orders, goods) for _day, orders, goods in rows] == [("2", "$90.00")]
    chart = re.search(r'<svg class="chart".*?</svg>', page.text, re.S)
    assert chart is not None
    assert chart.group(0).count("<rect ") == 30  # one bar a day, the empty days at zero height


def test_sales_fall_on_the_beijing_day_the_order_was_placed(app, api):
    """Four orders moved to the edges of Beijing days: 00:30 today and 23:30 yesterday (both
    the same UTC day, 16:30 and 15:30), the first second of the 30-day window, and the last
    second before it, which is left out."""
    seller = seller_with_profile(api)
    wine = create_product(api, seller)
    orders = [paid_order(api, seller, wine["id"], quantity=q) for q in (1, 2, 3, 4)]
    today = beijing_date(utcnow())
    first_day = today - timedelta(days=29)
    moments = [
        datetime.combine(today, time(0, 30), tzinfo=BEIJING),
        datetime.combine(today - timedelta(days=1), time(23, 30), tzinfo=BEIJING),
        datetime.combine(first_day, time(0, 0), tzinfo=BEIJING),
        datetime.combine(first_day, time(0, 0), tzinfo=BEIJING) - timedelta(seconds=1),
    ]

    async def move(session):
        for order, moment in zip(orders, moments, strict=True):
            await session.execute(update(Order).where(Order.id == order["id"]).values(created_at=moment))

    in_db(app, move)
    with signed_in(api, seller) as browser:
        page = browser.get("/seller/sales").text
    rows = re.findall(
        r'<tr data-day="(\d{4}-\d\d-\d\d)"><td>[^<]*</td><td>(\d+)</td><td>([^<]*)</td></tr>', page
    )
    assert rows == [
        (today.isoformat(), "1", "$30.00"),
        ((today - timedelta(days=1)).isoformat(), "1", "$60.00"),
        (first_day.isoformat(), "1", "$90.00"),
    ]
    assert '<strong id="total-sales">$180.00</strong>' in page  # the fourth, $120.00, is outside
