"""The translation engine's adapter: Argos Translate found with its English→Chinese package and
used off the event loop, or no engine, said so; a failure of the engine is no draft, not a 500."""

import asyncio
import sys
import threading

import pytest

from kuajing.catalog import translation
from kuajing.catalog.translation import Engine, EngineMissing, engine_from_setting
from tests.catalog.translation_fakes import FakeLanguage, FakeTranslation, argos_module, installed


def test_argos_is_used_only_with_its_english_to_chinese_package():
    english_to_chinese = FakeTranslation({"Dark fruit and cedar.": "黑色水果与雪松。"})
    found = translation.argos(
        argos_module([FakeLanguage("en", {"zh": english_to_chinese}), FakeLanguage("zh")])
    )
    assert found is not None and found.name == "Argos Translate"
    assert found.translate("Dark fruit and cedar.") == "黑色水果与雪松。"
    # English to French only, or no Chinese at all: no engine
    french = argos_module(
        [FakeLanguage("en", {"fr": FakeTranslation({})}), FakeLanguage("fr"), FakeLanguage("zh")]
    )
    assert translation.argos(french) is None
    assert translation.argos(argos_module([FakeLanguage("en")])) is None


def test_without_argos_installed_auto_has_no_engine_and_argos_refuses_to_start(monkeypatch):
    monkeypatch.setitem(sys.modules, "argostranslate", None)  # an import of it fails, as uninstalled
    monkeypatch.setitem(sys.modules, "argostranslate.translate", None)
    assert engine_from_setting("auto").name is None
    assert engine_from_setting("none").name is None
    with pytest.raises(EngineMissing, match="KUAJING_TRANSLATION_ENGINE=argos, but Argos Translate"):
        engine_from_setting("argos")


def test_installed_argos_is_found_by_the_setting(monkeypatch):
    installed(monkeypatch, FakeTranslation({"Pear.": "梨。"}))
    for setting in ("auto", "argos"):
        engine = engine_from_setting(setting)
        assert engine.name == "Argos Translate"
        assert asyncio.run(engine.to_chinese("  Pear.  ")) == "梨。"
    assert engine_from_setting("none").name is None


def test_the_engine_is_asked_only_for_text_it_can_take_and_a_failure_is_no_draft():
    answers = FakeTranslation({"Pear.": "  梨。 ", "Blank.": "   "})

    class Broken:
        name = "Broken"

        def translate(self, text: str) -> str:
            raise RuntimeError("model file missing")

    engine = Engine(translation.ArgosTranslator(answers))
    assert asyncio.run(engine.to_chinese("Pear.")) == "梨。"
    assert asyncio.run(engine.to_chinese("Blank.")) is None
    assert asyncio.run(engine.to_chinese("   ")) is None
    assert asyncio.run(engine.to_chinese("x" * (translation.MAX_CHARS + 1))) is None
    assert answers.asked == ["Pear.", "Blank."]  # blank and over-long text never reach it
    assert asyncio.run(Engine(Broken()).to_chinese("Pear.")) is None
    assert asyncio.run(Engine(None).to_chinese("Pear.")) is None


def test_a_slow_engine_is_given_up_on_and_no_second_translation_runs_beside_its_thread():
    release = threading.Event()
    asked: list[str] = []

    class Slow:
        name = "Slow"

        def translate(self, text: str) -> str:
            asked.append(text)
            release.wait(5)
            return "梨。"

    async def run() -> tuple[str | None, str | None, str | None]:
        engine = Engine(Slow(), timeout_seconds=0.1)
        first = await engine.to_chinese("first")  # the seller is not kept waiting
        second = await engine.to_chinese("second")  # the first thread still runs: no turn
        release.set()
        await asyncio.sleep(0.05)  # the first thread ends and gives the turn back
        return first, second, await engine.to_chinese("third")

    assert asyncio.run(run()) == (None, None, "梨。")
    assert asked == ["first", "third"]
