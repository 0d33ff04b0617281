"""Rendering a page (kuajing/web/templates.py): the link to the other language keeps the page
and its query, and never points at another host."""


def test_the_language_link_keeps_the_page_and_its_query(api):
    page = api.get("/search", params={"q": "wine", "category": "wine"})
    assert 'href="/search?q=wine&amp;category=wine&amp;lang=en"' in page.text
    # the path itself starts with //: a relative "//evil.example/x" would be read as another host
    off_site = api.get(f"{api.base_url}//evil.example/x")
    assert 'href="/evil.example/x?lang=en"' in off_site.text
    assert 'href="//' not in off_site.text.split('class="lang"')[1][:60]
    assert off_site.status_code == 404 and "<h1>页面不存在</h1>" in off_site.text  # a page here, no redirect
