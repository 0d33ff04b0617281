"""Redis Lua scripts kept in one file per module, each section headed by a line "--- name"."""

from importlib.resources import files


def sections(package: str, filename: str) -> dict[str, str]:
    """The file's scripts by name, each the text under its "--- name" line."""
    text = files(package).joinpath(filename).read_text()
    found: dict[str, str] = {}
    name = None
    for line in text.splitlines(keepends=True):
        if line.startswith("--- "):
            name = line[4:].strip()
            found[name] = ""
        elif name is not None:
            found[name] += line
    return found
