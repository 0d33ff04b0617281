"""The pages' catalogs, which kuajing/web/i18n.py reads: every text the templates and the web
code mark for translation is in the Chinese catalog, translated, and the catalogs hold nothing the
pages no longer use."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "kuajing" / "web"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _marked() -> set[str]:
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, options_map=OPTIONS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str):
    with (WEB / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.once
def test_every_marked_text_has_a_chinese_translation_and_nothing_is_left_over():
    marked = _marked()
    assert "Cross-border shopping risk notice" in marked  # the extraction does find the templates
    for locale in ("zh_CN", "en"):
        catalog = _catalog(locale)
        assert {m.id for m in catalog if m.id} == marked, locale
    untranslated = [m.id for m in _catalog("zh_CN") if m.id and not m.string]
    assert untranslated == []
    # English pages show the marked English itself: an English entry that says anything else
    # (a Chinese string copied into the wrong catalog) would mix languages on one page
    assert [m.id for m in _catalog("en") if m.id and m.string] == []
