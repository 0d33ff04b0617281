"""What the page tests share: another browser (a cookie jar of its own), a signed-in one, a form's
CSRF token, what a reader sees of a page, a buyer signed up through the form, a cart at checkout,
a paid order, and a listed wine."""

import html
import re
import uuid
from typing import Any

import httpx2

from tests.auth.factories import Account, buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product
from tests.helpers import visitor
from tests.order.factories import place

ADDRESS = {
    "address_name": "李娜",
    "address_phone": "13800138000",
    "address_province": "上海市",
    "address_city": "上海市",
    "address_district": "浦东新区",
    "address_street": "世纪大道 100 号",
}


def another_browser(api: Any) -> httpx2.Client:
    """Another browser on the app under test: a cookie jar of its own."""
    return visitor(api)


def signed_in(api: Any, account: Account) -> httpx2.Client:
    """A browser signed in as `account` (its token in the session cookie)."""
    return visitor(api, {"kj_session": account.token})


def csrf_of(page: Any) -> str:
    """The CSRF token of the form on `page`."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def page_text(html: str) -> str:
    """The page's text with its tags dropped and white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def sign_up(browser: httpx2.Client) -> str:
    """A buyer registered through the sign-up form, signed in on `browser`; their email."""
    form = browser.get("/register")
    email = f"web-{uuid.uuid4().hex[:10]}@kuajing.test"
    answer = browser.post(
        "/register",
        data={"name": "李娜", "email": email, "password": "a long web password", "csrf_token": csrf_of(form)},
    )
    assert answer.status_code == 303, answer.text
    assert browser.cookies.get("kj_session")
    return email


def at_checkout(browser: httpx2.Client, seller: Account, product_id: int) -> httpx2.Response:
    """One unit of the product in the browser's cart, and that seller's checkout page."""
    product = browser.get(f"/products/{product_id}")
    added = browser.post(
        "/cart", data={"product_id": product_id, "quantity": 1, "csrf_token": csrf_of(product)}
    )
    assert added.status_code == 303
    return browser.get(f"/checkout?seller={seller.id}")


def paid_order(api: Any, seller: Account, product_id: int, quantity: int = 1) -> dict[str, Any]:
    """An order of the product by a new buyer, paid; as the API shows it."""
    buyer = buyer_with_identity(api)
    order = place(api, buyer, [(product_id, quantity)]).json()
    paid = api.post(f"/api/v1/orders/{order['id']}/pay", json={"method": "sandbox"}, headers=buyer.headers)
    assert paid.json()["status"] == "paid", paid.text
    result: dict[str, Any] = paid.json()
    return result


def listed_wine(api: Any, **overrides: Any) -> tuple[dict[str, Any], str]:
    """A Californian seller's wine with a title of its own (searchable by its tag); and the tag."""
    seller = seller_with_profile(api, shipping_fee_cents=500, state="CA")
    tag = uuid.uuid4().hex[:6]
    title = {"en": f"Napa Cabernet {tag}", "zh": f"纳帕赤霞珠葡萄酒 {tag}"}
    return create_product(api, seller, title=title, **overrides), tag


def wine_fields_of(page: Any) -> dict[str, str]:
    """The product form's wine fields (its numbers and Chinese label items) as the page fills them."""
    from kuajing.web.seller_portal import WINE_FIELDS

    found = {}
    for name in WINE_FIELDS:
        match = re.search(rf'<input id="{name}" name="{name}" type="text" value="([^"]*)"', page.text)
        assert match, f"the form has no {name} field"
        found[name] = html.unescape(match.group(1))
    return found
