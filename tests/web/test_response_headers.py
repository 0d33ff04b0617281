"""Every answer carries a request id and the browser's protections (kuajing/web/response_headers.py);
the API documentation loads nothing from outside the app (kuajing/web/api_docs.py)."""

import re

from fastapi.testclient import TestClient

from kuajing.app import create_app
from kuajing.web.response_headers import media_origin
from tests.in_process import settings_for

SITE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def test_pages_the_api_files_and_refusals_all_carry_the_protections(api):
    for path, status in (
        ("/", 200), ("/api/v1/products?limit=1", 200), ("/static/kuajing.css", 200), ("/no-such-page", 404),
        ("/api/v1/orders", 401), ("/api/v1/products?sort=cheapest", 422),
    ):  # fmt: skip
        answer = api.get(path)
        assert answer.status_code == status, path
        assert answer.headers["content-security-policy"] == SITE_POLICY, path
        assert answer.headers["x-frame-options"] == "DENY", path
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "strict-transport-security" not in answer.headers, path  # not served over HTTPS here
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"]), path


def test_a_request_id_the_caller_sends_is_echoed_and_a_strange_one_replaced(api):
    assert api.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42"}).headers["x-request-id"] == "lb-7f3a:42"
    odd = api.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 80}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", odd)
    assert len({api.get("/healthz").headers["x-request-id"] for _ in range(5)}) == 5  # each its own


def test_https_sites_add_hsts_and_bucket_photos_are_allowed_by_the_policy(test_database_url):
    settings = settings_for(
        test_database_url, cookie_secure=True, media_public_url="https://cdn.example.com/photos/"
    )
    with TestClient(create_app(settings)) as secure:
        answer = secure.get("/healthz")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "img-src 'self' data: https://cdn.example.com;" in answer.headers["content-security-policy"]
    assert media_origin("not a url") == "" and media_origin(None) == ""


def test_the_api_documentation_is_served_by_the_app_with_no_outside_script(api):
    for path, script in (
        ("/docs", "/docs-assets/swagger-ui-bundle.js"),
        ("/redoc", "/docs-assets/redoc.standalone.js"),
    ):
        page = api.get(path)
        assert page.status_code == 200, path
        assert f'<script src="{script}"></script>' in page.text, path
        assert not re.search(r"(src|href)=\"(https?:)?//", page.text), path  # nothing from another host
        assert not re.search(r"<script>(?!</script>)", page.text), path  # no inline script
        assert "style-src 'self' 'unsafe-inline'" in page.headers["content-security-policy"], path
        assert api.get(script).status_code == 200, script
    css = api.get("/docs-assets/swagger-ui.css")
    assert (css.status_code, css.headers["content-type"][:8]) == (200, "text/css")
    assert 'data-openapi="/openapi.json"' in api.get("/docs").text


def test_no_template_has_an_inline_script_or_style_or_handler():
    from importlib import resources

    templates = resources.files("kuajing.web").joinpath("templates")
    found = []
    for path in _walk(templates):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+=\"", r"\sstyle=\"", r"<style\b"):
            found += [f"{path.name}: {match}" for match in re.findall(pattern, text)]
    assert found == []


def _walk(folder):
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.name.endswith(".html"):
            yield entry
