"""The cart lives in the browser, in a cookie of product ids and quantities: nothing to store for
a visitor who never orders, and nothing in it is trusted. Each page prices the lines afresh, and
checkout places the order through the same checks as the API."""

import re

from fastapi import Request
from starlette.responses import Response

from kuajing.web.session import set_cookie

COOKIE = "kj_cart"
DIGITS = re.compile(r"[0-9]{1,10}")
MAX_LINES = 50
MAX_QUANTITY = 99


def read(request: Request) -> dict[int, int]:
    """product id -> quantity; anything unreadable in the cookie is dropped."""
    lines: dict[int, int] = {}
    for part in request.cookies.get(COOKIE, "").split("."):
        product, _, quantity = part.partition("-")
        # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses
        readable = DIGITS.fullmatch(product) is not None and DIGITS.fullmatch(quantity) is not None
        fits = readable and 0 < int(product) < 2**31 and 1 <= int(quantity) <= MAX_QUANTITY
        if fits and len(lines) < MAX_LINES:
            lines[int(product)] = int(quantity)
    return lines


def write(request: Request, response: Response, lines: dict[int, int]) -> Response:
    if not lines:
        response.delete_cookie(COOKIE, path="/")
        return response
    value = ".".join(f"{product}-{quantity}" for product, quantity in list(lines.items())[:MAX_LINES])
    set_cookie(request, response, COOKIE, value, max_age=30 * 86400)
    return response
