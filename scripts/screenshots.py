"""Screenshots of the main pages, for docs/screenshots/ (linked from the README).

Run:  .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
Needs the test extras (Playwright), Debian's chromium and a Chinese font for it to draw with
(apt-get install chromium fonts-wqy-zenhei; the pages name system fonts and load none). It seeds the
demo marketplace into a fresh SQLite file (with its Singles' Day sale on now and its flash sale
starting soon), starts the server on 127.0.0.1, has a few demo buyers win a deal, and saves one PNG
per page at 1280 × 900 (at 390 px wide, a phone's, for the names ending -390).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from core_http import seed  # noqa: E402

from kuajing.bootstrap import prepare_database  # noqa: E402
from kuajing.demo.seed import DEMO_PASSWORD, OPERATOR_EMAIL  # noqa: E402
from tests.live import start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SELLER_EMAIL = "orders@haldenrock.example"  # a demo winery
GARMENT_SELLER_EMAIL = "orders@piedmontloom.example"  # a demo apparel maker, its sweater in sizes
BUYERS = ("li.na@buyer.example", "wang.hao@buyer.example", "chen.jing@buyer.example")  # demo buyers


def token(base: str, email: str) -> str:
    answer = httpx.post(f"{base}/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD})
    answer.raise_for_status()
    return answer.json()["token"]


def buy_from_the_sale(base: str) -> tuple[int, str]:
    """Three demo buyers each win a bottle of the first deal of the demo's sale on now (its Napa
    cabernet), so the live screen has sales to show; the first buyer's order (unpaid, counting down
    to its deadline) and that buyer."""
    page = httpx.get(f"{base}/singles-day")
    page.raise_for_status()
    first_deal = int(re.findall(r'id="deal-(\d+)"', page.text)[0])
    orders = []
    for email in BUYERS:
        buyer = {"Authorization": f"Bearer {token(base, email)}"}
        body = {"quantity": 1, "risk_notice_accepted": True}
        won = httpx.post(f"{base}/api/v1/deals/{first_deal}/purchase", json=body, headers=buyer)
        won.raise_for_status()
        orders.append(won.json()["order_id"])
    return orders[0], BUYERS[0]


def product_with_sku(base: str, sku: str) -> dict:
    """A demo product found by its SKU, through the public catalog."""
    cursor = None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = httpx.get(f"{base}/api/v1/products", params=params)
        page.raise_for_status()
        found = [item for item in page.json()["items"] if item["sku"] == sku]
        if found:
            return found[0]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            raise LookupError(sku)


def sweater_seller(base: str) -> int:
    """The demo apparel maker's seller id, from its sweater."""
    return int(product_with_sku(base, "PIEDMONT-KNIT-CABLE")["seller_id"])


NEW_SELLER_EMAIL = "hello@cascadeorchard.example"  # signs up during the run: pending approval


def a_pending_seller(base: str) -> int:
    """A fruit grower who has just signed up and given a profile: what the approval page asks."""
    answer = httpx.post(
        f"{base}/api/v1/auth/register",
        json={
            "email": NEW_SELLER_EMAIL,
            "password": DEMO_PASSWORD,
            "role": "seller",
            "name": "Cascade Orchard",
        },
    )
    answer.raise_for_status()
    headers = {"Authorization": f"Bearer {answer.json()['token']}"}
    profile = {
        "legal_name": "Cascade Orchard LLC",
        "us_state": "WA",
        "employees": 9,
        "shipping_fee": {"amount": 900, "currency": "USD"},
        "ein": "91-1234567",
    }
    httpx.put(f"{base}/api/v1/seller/profile", json=profile, headers=headers).raise_for_status()
    return int(answer.json()["user"]["id"])


def a_paid_order(base: str) -> int:
    """The newest demo order that was paid, so its page shows customs messages."""
    operator = {"Authorization": f"Bearer {token(base, OPERATOR_EMAIL)}"}
    orders = httpx.get(f"{base}/api/v1/orders", params={"status": "paid", "limit": 1}, headers=operator)
    orders.raise_for_status()
    return orders.json()["items"][0]["id"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="kuajing-shots-"))
    url = f"sqlite:///{workdir / 'shots.db'}"
    prepare_database(url)
    asyncio.run(seed(url))
    server = start_server(url, workdir / "server.log", workers=1)
    base = server.url
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        deal_order, winner = buy_from_the_sale(base)
        wine_id = product_with_sku(base, "HALDEN-CAB-2021")["id"]
        sweater = product_with_sku(base, "PIEDMONT-KNIT-CABLE")
        size_l = next(v["id"] for v in sweater["variants"] if v["options"] == ["L"])
        shots = {
            "home.png": ("/", None),
            "home-390.png": ("/", None),
            "shop.png": (f"/sellers/{sweater_seller(base)}", None),
            "product-sizes-390.png": (f"/products/{sweater['id']}?variant={size_l}", None),
            "search-wine.png": ("/search?q=葡萄酒", None),
            "search-pinyin-390.png": ("/search?q=putaojiu", None),
            "search-california-wine.png": ("/search?q=红酒&state=CA&sort=price_asc", None),
            "product.png": (f"/products/{wine_id}", None),
            "product-en.png": (f"/products/{wine_id}?lang=en", None),
            "product-sizes.png": (f"/products/{sweater['id']}?variant={size_l}", None),
            "singles-day.png": ("/singles-day", None),
            "singles-day-390.png": ("/singles-day", None),
            "buyer-order-deal.png": (f"/orders/{deal_order}", winner),
            "buyer-order-deal-390.png": (f"/orders/{deal_order}", winner),
            "singles-day-live.png": ("/singles-day/live", None),
            "register.png": ("/register", None),
            "seller-new-product.png": ("/seller/products/new", SELLER_EMAIL),
            "seller-edit-product.png": (f"/seller/products/{wine_id}/edit", SELLER_EMAIL),
            "seller-edit-variants.png": (f"/seller/products/{sweater['id']}/edit", GARMENT_SELLER_EMAIL),
            "seller-profile.png": ("/seller/profile", SELLER_EMAIL),
            "seller-orders.png": ("/seller/orders?view=all", SELLER_EMAIL),
            "seller-deals.png": ("/seller/deals", SELLER_EMAIL),
            "seller-sales.png": ("/seller/sales", SELLER_EMAIL),
            "console-fx.png": ("/console/fx", OPERATOR_EMAIL),
            "console-sellers.png": ("/console/sellers", OPERATOR_EMAIL),
            "seller-application-pending.png": ("/seller/application", NEW_SELLER_EMAIL),
            "seller-application.png": ("/seller/application", SELLER_EMAIL),
            "console-seller-review.png": (f"/console/sellers/{a_pending_seller(base)}", OPERATOR_EMAIL),
            "console-orders.png": ("/console/orders", OPERATOR_EMAIL),
            "console-order.png": (f"/console/orders/{a_paid_order(base)}", OPERATOR_EMAIL),
            "console-campaigns.png": ("/console/campaigns", OPERATOR_EMAIL),
            "console-jobs.png": ("/console/jobs", OPERATOR_EMAIL),
        }
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            for name, (path, account) in shots.items():
                width = 390 if name.endswith("-390.png") else 1280  # a phone's, or a laptop's
                context = browser.new_context(
                    base_url=base, locale="zh-CN", viewport={"width": width, "height": 900}
                )
                if account is not None:
                    context.add_cookies([{"name": "kj_session", "value": token(base, account), "url": base}])
                page = context.new_page()
                page.goto(path)
                # photos below the first screen load lazily: scroll through, as a reader would
                height = page.evaluate("document.documentElement.scrollHeight")
                for _ in range(0, height, 800):
                    page.mouse.wheel(0, 800)
                    page.wait_for_timeout(50)
                page.wait_for_load_state("networkidle")
                page.evaluate("window.scrollTo(0, 0)")
                page.screenshot(path=str(args.out / name), full_page=True)
                context.close()
                print(f"saved {args.out / name}")
            # the wine label drafted by the glossary: the form after "Suggest Chinese"
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
            context.add_cookies([{"name": "kj_session", "value": token(base, SELLER_EMAIL), "url": base}])
            page = context.new_page()
            page.goto("/seller/products/new")
            page.get_by_label("Title in English").fill("Halden Rock Napa Valley Cabernet Sauvignon 2022")
            page.get_by_label("Category").select_option("wine")
            page.get_by_label("Alcohol by volume, in percent").fill("14.5")
            page.get_by_label("Bottle volume in ml").fill("750")
            page.get_by_role("button", name="Suggest Chinese from the English title").click()
            page.wait_for_load_state()
            page.locator("#wine-label").screenshot(path=str(args.out / "seller-wine-label-suggested.png"))
            context.close()
            print(f"saved {args.out / 'seller-wine-label-suggested.png'}")
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
