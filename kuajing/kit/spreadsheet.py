"""Text written to a CSV someone opens in a spreadsheet."""


def safe_cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, return first) is written as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
