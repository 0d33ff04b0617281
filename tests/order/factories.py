import time
from typing import Any

import httpx

from tests.auth.factories import Account

ADDRESS = {
    "name": "李娜",
    "phone": "13800138000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "street": "世纪大道 100 号",
}


def order_body(lines: list[tuple[int, int]], **overrides: Any) -> dict[str, Any]:
    return {
        "lines": [{"product_id": product_id, "quantity": quantity} for product_id, quantity in lines],
        "shipping_address": ADDRESS,
        "risk_notice_accepted": True,
        **overrides,
    }


def place(
    api: httpx.Client, buyer: Account, lines: list[tuple[int, int]], **overrides: Any
) -> httpx.Response:
    return api.post("/api/v1/orders", json=order_body(lines, **overrides), headers=buyer.headers)


def order_ids(api: httpx.Client, account: Account) -> list[int]:
    response = api.get("/api/v1/orders", params={"limit": 100}, headers=account.headers)
    assert response.status_code == 200, response.text
    return [order["id"] for order in response.json()["items"]]


def wait_for_status(api, order_id, headers, status, timeout=30.0):
    """Wait until the order is in `status` (a background loop moves it), at most `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = api.get(f"/api/v1/orders/{order_id}", headers=headers).json()["status"]
        if current == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"order {order_id} is {current}, not {status}, after {timeout} s")
