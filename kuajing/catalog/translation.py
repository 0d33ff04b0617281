"""Machine translation of a listing's English into Chinese, by an offline engine the operator
installs on the server: Argos Translate with its English→Chinese package (`pip install
argostranslate`, then the en→zh model). No engine is installed by default, and none is reached
over the network; the seller's form says plainly which is the case.

What an engine writes is a draft, like the glossary's: the portal marks it as a suggestion until
the seller saves it.
"""

import asyncio
import importlib
import logging
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal, Protocol

log = logging.getLogger(__name__)
MAX_CHARS = 5_000  # a description's limit: longer text is not sent to the engine
TIMEOUT_SECONDS = 20.0  # a seller waits this long for a draft at most
EngineSetting = Literal["auto", "argos", "none"]


class Translator(Protocol):
    """Translates English text to Simplified Chinese, blocking (run off the event loop)."""

    @property
    def name(self) -> str: ...

    def translate(self, text: str) -> str: ...


class EngineMissing(RuntimeError):
    """KUAJING_TRANSLATION_ENGINE names an engine this server does not have."""


class _ArgosTranslation(Protocol):
    def translate(self, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class ArgosTranslator:
    translation: _ArgosTranslation
    name: str = "Argos Translate"

    def translate(self, text: str) -> str:
        return self.translation.translate(text)


def argos(module: ModuleType | None = None) -> ArgosTranslator | None:
    """Argos Translate's English→Chinese translation, if the library and that language package
    are installed (`module`: argostranslate.translate, imported here when not given)."""
    if module is None:
        try:
            module = importlib.import_module("argostranslate.translate")
        except ImportError:
            return None
    languages = {language.code: language for language in module.get_installed_languages()}
    english, chinese = languages.get("en"), languages.get("zh")
    if english is None or chinese is None:
        return None
    translation = english.get_translation(chinese)
    return None if translation is None else ArgosTranslator(translation)


@dataclass
class Engine:
    """The server's translation engine, or None; one a process. Translations run one at a time,
    in a thread: a model takes a core while it works. The turn is given back when the thread
    ends, not when the caller stops waiting (a timeout, a closed request): a thread cannot be
    stopped, so a second never starts beside it."""

    translator: Translator | None
    timeout_seconds: float = TIMEOUT_SECONDS
    _turn: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))

    @property
    def name(self) -> str | None:
        return None if self.translator is None else self.translator.name

    async def to_chinese(self, text: str) -> str | None:
        """The engine's Chinese for `text`; None without an engine, for blank or over-long text,
        when the engine fails or takes longer than `timeout_seconds` (logged: the seller writes
        the Chinese themselves)."""
        translator = self.translator
        if translator is None or not text.strip() or len(text) > MAX_CHARS:
            return None
        try:  # the turn, and the translation after it, each within the timeout
            await asyncio.wait_for(self._turn.acquire(), self.timeout_seconds)
        except TimeoutError:
            log.warning("the translation engine %s is busy; no draft", translator.name)
            return None
        work = asyncio.ensure_future(asyncio.to_thread(translator.translate, text.strip()))
        work.add_done_callback(self._done)
        try:
            drafted = await asyncio.wait_for(asyncio.shield(work), self.timeout_seconds)
        except TimeoutError:
            log.warning("the translation engine %s took over %s s", translator.name, self.timeout_seconds)
            return None
        except Exception:  # an engine's own failure: no draft, the form stays as typed
            log.exception("the translation engine %s failed", translator.name)
            return None
        return drafted.strip() or None

    def _done(self, work: "asyncio.Future[str]") -> None:
        self._turn.release()
        if not work.cancelled():
            work.exception()  # read, so a failure nobody waited for is not reported as lost


def engine_from_setting(setting: EngineSetting) -> Engine:
    """`auto`: Argos Translate when it is installed with its en→zh package, else none; `argos`:
    Argos Translate or refuse to start; `none`: no engine."""
    if setting == "none":
        return Engine(None)
    found = argos()
    if found is None and setting == "argos":
        raise EngineMissing(
            "KUAJING_TRANSLATION_ENGINE=argos, but Argos Translate with its English-to-Chinese package "
            "is not installed: pip install argostranslate, then install the en→zh package"
        )
    return Engine(found)
