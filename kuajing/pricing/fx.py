"""Parsing and checking FX rates: Decimal, never float."""

from decimal import Decimal, InvalidOperation

from kuajing.pricing.errors import InvalidFxRate

MAX_PLACES = 6
MAX_RATE = Decimal(100)


def parse_rate(text: str) -> Decimal:
    """A rate as text, e.g. "7.1000": positive, at most six decimals, below 100."""
    try:
        rate = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise InvalidFxRate(message=f'{text!r} is not a decimal number such as "7.1000".') from exc
    if not rate.is_finite() or rate <= 0 or rate >= MAX_RATE:
        raise InvalidFxRate(message="The rate must be above 0 and below 100 CNY per USD.")
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        raise InvalidFxRate(message=f"Use at most {MAX_PLACES} decimal places.")
    return rate
