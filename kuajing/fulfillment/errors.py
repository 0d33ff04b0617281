from kuajing.errors import InvalidInput


class PayerMismatch(InvalidInput):
    code = "payer_mismatch"


class ShippingAddressRequired(InvalidInput):
    code = "shipping_address_required"
