from kuajing.errors import Conflict, InvalidInput, KuajingError, NotFound


class InvalidFxRate(InvalidInput):
    code = "invalid_fx_rate"


class UnknownCurrencyPair(NotFound):
    code = "unknown_currency_pair"


class FxRateUnavailable(Conflict):
    code = "fx_rate_unavailable"


class UnknownProduct(InvalidInput):
    code = "unknown_product"


class MixedSellers(InvalidInput):
    code = "mixed_sellers"


class CheckoutRefused(KuajingError):
    """Placing an order found problems the quote would have shown; carries all of them."""

    status = 422
