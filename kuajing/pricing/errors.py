from kuajing.errors import Conflict, InvalidInput, NotFound


class InvalidFxRate(InvalidInput):
    code = "invalid_fx_rate"


class UnknownCurrencyPair(NotFound):
    code = "unknown_currency_pair"


class FxRateUnavailable(Conflict):
    code = "fx_rate_unavailable"
