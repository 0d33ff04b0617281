from kuajing.errors import Conflict, InvalidInput


class PayerMismatch(InvalidInput):
    code = "payer_mismatch"


class ShippingAddressRequired(InvalidInput):
    code = "shipping_address_required"


class HeldForPayerMismatch(Conflict):
    """An order the payment company found was paid by someone else: it may not ship."""

    code = "payer_mismatch"
