"""Search tokens for English and Chinese: jieba segments Chinese, words split English."""

import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

_TOKEN = re.compile(r"^[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
MAX_QUERY_TERMS = 8


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first search (about a second)."""
    jieba.initialize()


def index_text(*texts: str) -> str:
    """Space-separated distinct tokens, padded with spaces so ' term' matches a word start."""
    seen: dict[str, None] = {}
    for text in texts:
        for token in jieba.cut_for_search(text.lower()):
            token = token.strip()
            if _TOKEN.match(token):
                seen.setdefault(token, None)
    return " " + " ".join(seen) + " "


def query_terms(query: str) -> list[str]:
    seen: dict[str, None] = {}
    for token in jieba.cut(query.lower()):
        token = token.strip()
        if _TOKEN.match(token):
            seen.setdefault(token, None)
    return list(seen)[:MAX_QUERY_TERMS]


def like_pattern(term: str) -> str:
    """Chinese terms match anywhere (segmentation varies); other terms match a word start."""
    return f"%{term}%" if _CJK.search(term) else f"% {term}%"
