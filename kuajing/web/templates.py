"""Jinja2, one environment per language: templates are compiled once per language and the
language's catalog is bound to `_()` and `{% trans %}`, so a page never mixes two languages."""

from collections.abc import Sequence
from datetime import datetime
from functools import cache, partial
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request

from kuajing.kit.time import BEIJING
from kuajing.kit.us_states import state_name
from kuajing.web import i18n
from kuajing.web.session import CSRF_COOKIE, SESSION_SECONDS, csrf_token, set_cookie


def _switch_href(request: Request, lang: str) -> str:
    """This page in the other language: the same path and query, `lang` replaced. A path that
    starts with // would be read as another host, so it collapses to one slash."""
    path = "/" + request.url.path.lstrip("/")
    query = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return f"{path}?{urlencode([*query, ('lang', lang)])}"


def beijing(moment: datetime) -> str:
    """A stored (UTC) moment as Beijing wall-clock time, to the minute: the time the CBEC
    rules, the sale and the customs papers go by."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


# A product card's HTML, by everything it shows: the same product, price, photo and seller in the
# same language is the same card, so it is drawn once and kept (never stale: a new price or photo
# is a new key). A search page draws two dozen; drawing them was most of its time.
MAX_CARDS = 4096
_cards: dict[tuple[Any, ...], Markup] = {}


def _listing_card(locale: str, listing: Any, photos: Sequence[Any] = (), show_seller: bool = True) -> Markup:
    product = listing.product
    seller = getattr(listing, "seller", None) if show_seller else None
    key = (
        locale,
        product.id,
        product.title_zh,
        product.title_en,
        bool(getattr(product, "has_variants", False) or getattr(product, "variant_ids", ())),
        listing.price,
        photos[0].at_least(480) if photos else None,
        seller,
    )
    drawn = _cards.get(key)
    if drawn is None:
        macro = environment(locale).get_template("storefront/listing_card.html").module.listing_card  # type: ignore[attr-defined]
        drawn = Markup(macro(listing, photos, show_seller))
        if len(_cards) >= MAX_CARDS:
            _cards.clear()
        _cards[key] = drawn
    return drawn


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=PackageLoader("kuajing.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        # templates ship in the package: never stat their files on every page (a restart reloads)
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["yuan"] = lambda fen: i18n.yuan(fen, locale)
    env.filters["dollars"] = lambda cents: i18n.dollars(cents, locale)
    # minor units of either currency: an amount in the ledger
    env.filters["minor"] = lambda amount, currency: (
        i18n.dollars(amount, locale) if currency == "USD" else i18n.yuan(amount, locale)
    )
    env.filters["percent"] = lambda rate: i18n.percent(rate, locale)
    env.filters["state"] = lambda code: state_name(code, locale)
    env.filters["beijing"] = beijing
    env.globals["locale"] = locale
    env.globals["lang"] = i18n.LOCALES[locale]
    env.globals["listing_card"] = partial(_listing_card, locale)
    return env


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    default_locale: str = i18n.DEFAULT,
) -> HTMLResponse:
    """The page `name` in the request's language. Asking for a language with ?lang= keeps it
    in a cookie, so the next page (a form's answer, a link without ?lang) stays in it. Every
    page gets the browser's CSRF token (`csrf`), and sets its cookie on the first visit."""
    locale = i18n.locale_of(request, default_locale)
    other = "en" if locale == "zh_CN" else "zh"
    csrf = csrf_token(request)
    page = environment(locale).get_template(name)
    html = page.render(
        {"viewer": None, **context},
        request=request,
        switch_to=other,
        switch_href=_switch_href(request, other),
        path=request.url.path,
        csrf=csrf,
    )
    response = HTMLResponse(html, status_code=status)
    if getattr(request.state, "new_csrf", None) == csrf:
        set_cookie(request, response, CSRF_COOKIE, csrf, max_age=SESSION_SECONDS)
    if request.query_params.get("lang") and request.cookies.get(i18n.COOKIE) != locale:
        set_cookie(request, response, i18n.COOKIE, locale, max_age=365 * 86400)
    return response
