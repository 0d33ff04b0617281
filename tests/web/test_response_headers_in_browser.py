"""Under the Content Security Policy, in a real browser (chromium): the pages with scripts
(the Singles' Day countdown and stream, the live screen, the ID-number check, the seller's
preview) and the API documentation draw with no violation reported."""

from tests.auth.factories import buyer_with_identity, seller_with_profile
from tests.catalog.factories import create_product


def test_no_page_breaks_the_content_security_policy(live_api, browser, server):
    seller = seller_with_profile(live_api)
    wine = create_product(live_api, seller)
    buyer = buyer_with_identity(live_api)
    context = browser.new_context(base_url=server.url, locale="zh-CN")
    context.set_default_timeout(15_000)
    violations: list[str] = []
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        for path in ("/", "/search?q=葡萄酒", f"/products/{wine['id']}", f"/sellers/{seller.id}",
                     "/singles-day", "/singles-day/live", "/login", "/register"):  # fmt: skip
            page.goto(path)
            page.wait_for_load_state("networkidle")
        page.goto("/docs")
        page.wait_for_selector(".swagger-ui .info .title")  # drawn by Swagger UI's script
        page.goto("/redoc")
        page.wait_for_selector("redoc h1")  # drawn by ReDoc's script
        context.add_cookies([{"name": "kj_session", "value": seller.token, "url": server.url}])
        page.goto("/seller/products/new")
        page.wait_for_load_state("networkidle")
        context.add_cookies([{"name": "kj_session", "value": buyer.token, "url": server.url}])
        page.goto("/orders")
    finally:
        context.close()
    # ReDoc's sidebar links its maker's logo from their CDN: the policy blocks it, as it should,
    # and the page says "API docs by Redocly" without it
    redocly = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"
    assert [text for text in violations if not text.startswith(redocly)] == []
