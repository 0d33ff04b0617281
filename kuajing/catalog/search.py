"""What search reads and writes, in words: a product's document and a shopper's query.

A document has two fields of space-separated tokens: its title (both titles, their Chinese words'
pinyin and initials) and its body (descriptions, the category, the SKU, the titles' single
Chinese characters). The index (search_index.py) weighs a title match far above a body match.

A query is a list of groups, all of which must match; a group is the word typed and its
alternatives: its synonyms (synonyms.csv, shipped as data), an English or pinyin word's prefix,
and, for a word the catalog has never used, the catalog's words one or two edits away from it.
A US state's name (加州, 华盛顿, Oregon) is not searched for as a word: it asks for what sellers in
that state list. Jieba segments Chinese on both sides; pypinyin writes Chinese in pinyin;
rapidfuzz measures edits. Phrases of synonyms.csv (t-shirt, pinot noir) are one word on both sides.
"""

import bisect
import csv
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import jieba
from pypinyin import Style, lazy_pinyin
from pypinyin import __version__ as pypinyin_version
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kuajing.catalog.wording import glossary
from kuajing.kit.us_states import NAMES as STATE_NAMES

jieba.setLogLevel(logging.WARNING)

_TOKEN = re.compile(r"^[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"^[a-z]+$")
MAX_QUERY_TERMS = 8
# Words too common to narrow a search: matching them would only make a query miss.
STOP_WORDS = frozenset(
    "a an and by for from in of on or the to with 的 和 与 及 或 在 了 个".split()  # noqa: SIM905
)
# Initials only for words of three characters or more: two letters (pg, hj) would name dozens.
MIN_INITIALS_LENGTH = 3
# The shortest English or pinyin word matched as a prefix too (chard -> chardonnay).
MIN_PREFIX_LENGTH = 3
# The shortest word corrected, and how many edits each length may take.
MIN_TYPO_LENGTH = 4
TWO_EDITS_FROM_LENGTH = 7
MAX_CORRECTIONS = 3
# How often jieba is told the catalog's own words occur: enough to cut 加州红酒 as 加州 + 红酒
# rather than its dictionary's 加州红 + 酒.
DOMAIN_WORD_FREQUENCY = 20_000


def warm_up() -> None:
    """Load jieba's dictionary and the synonyms now rather than on the first search (a second)."""
    _segmenter()


@cache
def _segmenter() -> jieba.Tokenizer:
    """Jieba's own dictionary with the words of the glossary and of synonyms.csv added, so that
    赤霞珠 and 车厘子 are cut as words; a tokenizer of search's own, jieba's global one untouched."""
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    words = [term.zh for term in glossary()] + [word for word in synonyms() if _CJK.search(word)]
    words += [place for place in places() if _CJK.search(place)]
    for word in dict.fromkeys(_normal(word) for word in words):
        segmenter.add_word(word, freq=DOMAIN_WORD_FREQUENCY)
    return segmenter


def _plain(text: str) -> str:
    """Full-width letters and digits as ASCII, accents dropped, lower case (ＲＯＳÉ -> rose)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def _joined(phrase: str) -> str:
    return re.sub(r"[\s-]+", "", phrase)


@cache
def _phrases() -> re.Pattern[str]:
    """The phrases of synonyms.csv and the states' English names, written with spaces or hyphens
    or neither (t-shirt, t shirt, tshirt)."""
    phrases = [word for word in _synonym_rows_words() if re.search(r"[\s-]", word)]
    phrases += [_plain(english) for _, english in STATE_NAMES.values() if " " in english]
    alternatives = sorted({r"[\s-]*".join(map(re.escape, re.split(r"[\s-]+", p))) for p in phrases}, key=len)
    return re.compile(r"\b(" + "|".join(reversed(alternatives)) + r")\b")


def _normal(text: str) -> str:
    return _phrases().sub(lambda match: _joined(match.group(0)), _plain(text))


def _tokens(words: Iterable[str]) -> list[str]:
    return [word for word in (w.strip() for w in words) if _TOKEN.match(word) and word not in STOP_WORDS]


def _distinct(tokens: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(tokens))


def pinyin_forms(word: str) -> list[str]:
    """A Chinese word in pinyin without tones (葡萄酒 -> putaojiu) and, from three characters, its
    initials (ptj). pypinyin reads a word it does not know character by character, and may pick
    a character's other reading (长相思 as zhangxiangsi): synonyms.csv gives the right one."""
    syllables = [s for s in lazy_pinyin(word, errors="ignore") if s.isascii() and s.isalpha()]
    if not syllables:
        return []
    forms = ["".join(syllables)]
    if len(word) >= MIN_INITIALS_LENGTH:
        initials = [s[0] for s in lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore") if s.isalpha()]
        forms.append("".join(initials))
    return forms


def _words_of(texts: Sequence[str]) -> list[str]:
    """Each text's words, a phrase both as one word and as its parts (pinotnoir, pinot, noir), so
    a query of the phrase finds it exactly and one of its words still finds it."""
    cut = _segmenter().cut_for_search
    return _tokens(
        token
        for text in texts
        for form in dict.fromkeys((_normal(text), _plain(text)))
        for token in cut(form)
    )


# Raise when the analysis below changes in a way the data files and libraries do not show.
ANALYSIS_REVISION = 1


@cache
def analysis_version() -> str:
    """What a document was built with: this code's revision, the synonyms, the glossary and the
    libraries' versions. A document of another version is rewritten at the next start."""
    digest = hashlib.sha256(
        f"{ANALYSIS_REVISION} jieba {jieba.__version__} pypinyin {pypinyin_version}".encode()
    )
    for name in ("synonyms.csv", "glossary.csv"):
        digest.update(resources.files("kuajing.catalog").joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    body: str


def document(*, titles: Sequence[str], texts: Sequence[str], codes: Sequence[str]) -> Document:
    """The search document of a product: `titles` weigh most, `texts` (descriptions) and `codes`
    (category, SKU) are found too."""
    title_tokens = _words_of(titles)
    chinese = [token for token in title_tokens if _CJK.search(token)]
    pinyin = [form for word in chinese for form in pinyin_forms(word)]
    characters = [char for word in chinese for char in word if len(word) > 1]
    body_tokens = _words_of(texts)
    code_tokens = _tokens(re.split(r"[^0-9a-z]+", " ".join(_normal(code) for code in codes)))
    return Document(
        title=_distinct([*title_tokens, *pinyin]),
        body=_distinct([*body_tokens, *characters, *code_tokens]),
    )


@cache
def _synonym_rows() -> tuple[tuple[str, ...], ...]:
    source = resources.files("kuajing.catalog").joinpath("synonyms.csv")
    with source.open(encoding="utf-8") as file:
        rows = csv.reader(line for line in file if line.strip() and not line.startswith("#"))
        return tuple(tuple(_plain(word).strip() for word in row if word.strip()) for row in rows)


def _synonym_rows_words() -> list[str]:
    return [word for row in _synonym_rows() for word in row]


@cache
def synonyms() -> dict[str, frozenset[str]]:
    """Each word of synonyms.csv and the words it means the same as (itself included), with the
    Chinese words' pinyin as members of their group (hongjiu finds what 葡萄酒 names)."""
    groups: dict[str, set[str]] = {}
    for row in _synonym_rows():
        words = [_joined(word) for word in row]
        words += [form for word in words if _CJK.search(word) for form in pinyin_forms(word)[:1]]
        # what the index holds and a query may name: a word like levi's could never match
        words = [word for word in words if _TOKEN.match(word)]
        group = set(words)
        for word in words:
            groups.setdefault(word, set()).update(group)
    return {word: frozenset(group) for word, group in groups.items()}


@cache
def places() -> dict[str, str]:
    """A US state's names as a shopper types them -> its USPS code: 加利福尼亚州, 加利福尼亚,
    california, and the short names the press uses (加州)."""
    named: dict[str, str] = {"加州": "CA"}
    for code, (chinese, english) in STATE_NAMES.items():
        named[chinese] = code
        if chinese.endswith("州") and len(chinese) >= 3:  # 纽约州 -> 纽约
            named[chinese.removesuffix("州")] = code
        named[_joined(_plain(english))] = code
    named.pop("华盛顿", None)  # the capital as often as the state
    named["华盛顿州"] = "WA"
    return named


class Vocabulary:
    """The words the catalog's documents use, to tell a known word from a mistyped one."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(words)
        self._latin = sorted(w for w in self.words if _LATIN_WORD.match(w))

    def has_prefix(self, prefix: str) -> bool:
        at = bisect.bisect_left(self._latin, prefix)
        return at < len(self._latin) and self._latin[at].startswith(prefix)

    def near(self, word: str) -> list[str]:
        """The catalog's words closest to `word` within its edits (transpositions count one)."""
        edits = 2 if len(word) >= TWO_EDITS_FROM_LENGTH else 1
        found = process.extract(word, self._latin, scorer=OSA.distance, score_cutoff=edits, limit=None)
        found.sort(key=lambda match: (match[1], abs(len(match[0]) - len(word)), match[0]))
        return [match[0] for match in found[:MAX_CORRECTIONS]]


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    groups: tuple[tuple[Term, ...], ...]
    # a mistyped word and the catalog's words tried for it, to tell the shopper
    corrected: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # states named: what their sellers list
    states: tuple[str, ...] = ()


def _words(query: str, vocabulary: Vocabulary) -> list[str]:
    """The query's words: jieba's cut, with a Chinese word the catalog never uses split into
    the parts it does (蜜脆苹果 -> 蜜脆, 苹果), down to the single characters it uses."""
    words: list[str] = []
    for token in _tokens(_segmenter().cut(_normal(query))):
        known = token in vocabulary.words or token in synonyms() or token in places()
        if not _CJK.search(token) or known:
            words.append(token)
            continue
        parts = [
            p for p in _tokens(_segmenter().cut_for_search(token)) if p != token and p in vocabulary.words
        ]
        covered = set("".join(parts))
        # a character no product uses could only make the query miss (我想买一瓶…): left out
        words += parts + [char for char in token if char not in covered and char in vocabulary.words]
    # the words the catalog knows first, so a long sentence keeps them within the limit
    ordered = sorted(dict.fromkeys(words), key=lambda word: bool(_CJK.search(word)) and len(word) == 1)
    return ordered[:MAX_QUERY_TERMS]


def parse(query: str, vocabulary: Vocabulary) -> Query:
    groups: list[tuple[Term, ...]] = []
    corrected: list[tuple[str, tuple[str, ...]]] = []
    states: list[str] = []
    for word in _words(query, vocabulary):
        if (state := places().get(word)) is not None:
            states.append(state)
            continue
        latin = bool(_LATIN_WORD.match(word))
        terms = {word: Term(word, prefix=latin and len(word) >= MIN_PREFIX_LENGTH)}
        for synonym in sorted(synonyms().get(word, ())):
            terms.setdefault(synonym, Term(synonym))
        known = word in vocabulary.words or (latin and vocabulary.has_prefix(word))
        if latin and not known and len(word) >= MIN_TYPO_LENGTH and len(terms) == 1:
            near = vocabulary.near(word)
            for candidate in near:
                terms.setdefault(candidate, Term(candidate))
            if near:
                corrected.append((word, tuple(near)))
        groups.append(tuple(terms.values()))
    return Query(tuple(groups), tuple(corrected), tuple(dict.fromkeys(states)))
