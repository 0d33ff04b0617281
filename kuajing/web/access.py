"""What the sellers' and operators' pages share: who may see a page (anyone else is sent to sign
in or told the page is not theirs), English first, and reading numbers typed in a form."""

import re
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from kuajing.auth.tokens import Principal
from kuajing.models import Role
from kuajing.web.session import login_path, viewer
from kuajing.web.templates import render

DOLLARS = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")  # dollars and cents, at most $9,999,999.99
WHOLE = re.compile(r"[0-9]{1,9}")


def english(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    return render(request, name, context, status=status, default_locale="en")


async def signed_in_as(
    request: Request, session: AsyncSession, role: Role, *, door: str = "/login"
) -> Principal | Response:
    """The user browsing if they have `role`, or the response to send instead: sign in at
    `door` first (coming back here), or 403."""
    principal = await viewer(request, session)
    if principal is None:
        return RedirectResponse(login_path(request, door=door), status_code=303)
    if principal.role != role:
        return english(request, "error.html", {"status": 403, "code": "forbidden"}, status=403)
    return principal


async def signed_in_seller(request: Request, session: AsyncSession) -> Principal | Response:
    return await signed_in_as(request, session, Role.seller, door="/seller/login")


def cents(typed: str) -> int | None:
    """Dollars typed in a form ("30", "30.5", "$30.00") in cents, or None. Never Decimal() on
    free text: it reads "Infinity" and "9e999999"."""
    text = typed.strip().lstrip("$").replace(",", "")
    return int(Decimal(text) * 100) if DOLLARS.fullmatch(text) else None


def whole(typed: str) -> int | None:
    """A whole number typed in a form, or None."""
    text = typed.strip().replace(",", "")
    return int(text) if WHOLE.fullmatch(text) else None


def dollars_typed(amount: int) -> str:
    """Cents as a form field shows them: 3000 -> "30.00"."""
    return f"{amount // 100}.{amount % 100:02d}"
