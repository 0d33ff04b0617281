from kuajing.errors import Conflict, InvalidInput


class InvalidUsState(InvalidInput):
    code = "invalid_us_state"


class CurrencyNotAllowed(InvalidInput):
    code = "currency_not_allowed"


class SellerProfileRequired(Conflict):
    code = "seller_profile_required"


class InvalidCustomsCode(InvalidInput):
    code = "invalid_customs_code"
