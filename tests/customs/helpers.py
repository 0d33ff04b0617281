"""Running the customs exchange the way an operator does, and reading what it left behind."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from lxml import etree

from kuajing.customs.messages import NAMESPACE
from tests.auth.factories import EXAMPLE_EIN, Account, approve_seller, buyer_with_identity, register
from tests.catalog.factories import create_product
from tests.live import LiveServer
from tests.order.factories import place

NS = {"ceb": NAMESPACE}
HEAD = "ceb:Order/ceb:OrderHead/ceb:"
# The settings' defaults: the test servers do not override the enterprise codes.
PLATFORM_CODE = "KJSANDBOX1"
PAYMENT_CODE = "KJSANDPAY1"
LOGISTICS_CODE = "KJSANDLOG1"


def exchange(server: LiveServer, database_url: str) -> str:
    """`kuajing customs exchange` against the test database and the server's folders."""
    result = subprocess.run(
        [sys.executable, "-m", "kuajing.cli", "customs", "exchange"],
        env={
            **os.environ,
            "KUAJING_DATABASE_URL": database_url,
            "KUAJING_CUSTOMS_OUTBOX_DIR": str(server.customs_outbox),
            "KUAJING_CUSTOMS_INBOX_DIR": str(server.customs_inbox),
            "COLUMNS": "200",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def summary_count(output: str, label: str) -> int:
    line = next(line for line in output.splitlines() if label in line)
    return int(line.strip(" │|").split()[-1])


def seller_with_customs_code(api: httpx.Client, code: str | None = None) -> tuple[Account, str]:
    code = code or ("31" + uuid.uuid4().hex[:8].upper())
    seller = register(api, "seller", name="Test Winery")
    response = api.put(
        "/api/v1/seller/profile",
        json={
            "legal_name": "Test Winery LLC",
            "us_state": "CA",
            "employees": 12,
            "shipping_fee": {"amount": 500, "currency": "USD"},
            "customs_code": code,
            "customs_name": "纳帕测试酒庄有限责任公司",
            "ein": EXAMPLE_EIN,
        },
        headers=seller.headers,
    )
    assert response.status_code == 200, response.text
    approve_seller(api, seller, documents=("ein_letter", "state_registration"))
    return seller, code


def customs_of(api: httpx.Client, order_id: int, account: Account) -> dict[str, dict]:
    response = api.get(f"/api/v1/orders/{order_id}/customs", headers=account.headers)
    assert response.status_code == 200, response.text
    return {message["type"]: message for message in response.json()["messages"]}


def xml_of(api: httpx.Client, order_id: int, message_type: str, account: Account) -> bytes:
    response = api.get(f"/api/v1/orders/{order_id}/customs/{message_type}.xml", headers=account.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml"
    return response.content


def field(xml: bytes, path: str) -> str:
    found = etree.fromstring(xml).find(path, NS)
    assert found is not None, path
    return found.text or ""


def drop(inbox: Path, name: str, content: bytes) -> Path:
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(content)
    return path


def paid_order(api: httpx.Client, seller: Account, quantity: int = 2) -> tuple[dict, Account]:
    """The design's wine example ($30.00 a bottle, $5.00 shipping at FX 7.1000), paid."""
    wine = create_product(api, seller, stock=10)
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(wine["id"], quantity)]).json()
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.status_code == 200, paid.text
    return order, buyer
