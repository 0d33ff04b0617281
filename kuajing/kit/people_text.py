"""Emails and names as people type them, made comparable: NFKC-normalised (a full-width Ａ is an
A), and refused when they carry characters no one can see (zero-width spaces and joiners, bidi
overrides, fillers) — the look-alikes that make a second account for one address or disguise a
name."""

import unicodedata

# Blank "letters" that render as nothing but are not format characters.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


class InvisibleCharacters(ValueError):
    pass


def invisible(value: str) -> list[str]:
    """The code points of `value` a reader cannot see: format characters (Cf: U+200B, U+200D,
    U+202E, U+2066, U+FEFF…), private-use and unassigned ones, and fillers."""
    return [
        f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in ("Cf", "Co", "Cn") or c in _FILLERS
    ]


def normalised(value: str, *, what: str) -> str:
    """`value` in NFKC, stripped; InvisibleCharacters names the hidden code points."""
    hidden = invisible(value)
    if hidden:
        raise InvisibleCharacters(
            f"The {what} contains characters that cannot be seen ({', '.join(hidden)})."
        )
    return unicodedata.normalize("NFKC", value).strip()
