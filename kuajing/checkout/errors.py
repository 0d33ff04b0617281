from kuajing.errors import InvalidInput, KuajingError


class UnknownProduct(InvalidInput):
    code = "unknown_product"


class MixedSellers(InvalidInput):
    code = "mixed_sellers"


class CheckoutRefused(KuajingError):
    """Placing an order found problems the quote would have shown; carries all of them."""

    status = 422
