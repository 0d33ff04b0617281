"""A stand-in for Argos Translate (an engine outside the project, not installed on these machines),
with the library's documented Python API: `argostranslate.translate.get_installed_languages()`
gives languages with a `code` and `get_translation(other)`, whose `translate(text)` answers."""

import types


class FakeTranslation:
    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def translate(self, text: str) -> str:
        self.asked.append(text)
        return self.answers[text]


class FakeLanguage:
    def __init__(self, code: str, translations: dict[str, FakeTranslation] | None = None) -> None:
        self.code = code
        self._translations = translations or {}

    def get_translation(self, other: "FakeLanguage") -> FakeTranslation | None:
        return self._translations.get(other.code)


def argos_module(languages: list[FakeLanguage]) -> types.ModuleType:
    """What `import argostranslate.translate` would give with these languages installed."""
    module = types.ModuleType("argostranslate.translate")
    module.get_installed_languages = lambda: languages  # type: ignore[attr-defined]
    return module


def installed(monkeypatch, translation: FakeTranslation) -> None:
    """Argos Translate with an en→zh package, importable for the rest of the test."""
    module = argos_module([FakeLanguage("en", {"zh": translation}), FakeLanguage("zh")])
    package = types.ModuleType("argostranslate")
    package.translate = module  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "argostranslate", package)
    monkeypatch.setitem(__import__("sys").modules, "argostranslate.translate", module)
