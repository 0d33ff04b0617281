"""The tests mirror the package: a newcomer finds the tests of kuajing/<package>/<module>.py in
tests/<package>/test_<module>.py (or test_<module>_<aspect>.py), and those of a top-level module
kuajing/<module>.py in tests/test_<module>.py."""

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
PACKAGE = TESTS.parent / "kuajing"


def _modules(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {
        p.name
        for p in folder.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() or p.name == "versions"
    }


def _owner(test_file: Path) -> str | None:
    """Why the file is where it is, or None when it mirrors nothing."""
    if test_file == Path(__file__):
        return "the tests' own layout"
    folder = test_file.parent
    names = _modules(PACKAGE if folder == TESTS else PACKAGE / folder.name)
    subject = test_file.stem.removeprefix("test_")
    return next((name for name in names if subject == name or subject.startswith(f"{name}_")), None)


@pytest.mark.once
def test_every_test_folder_is_a_package_of_kuajing():
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} == set()


@pytest.mark.once
def test_every_test_file_is_named_after_the_module_it_checks():
    strays = sorted(str(path.relative_to(TESTS)) for path in TESTS.rglob("test_*.py") if _owner(path) is None)
    assert strays == []
