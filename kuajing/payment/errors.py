from kuajing.errors import Conflict, InvalidInput, KuajingError


class PaymentDeclined(Conflict):
    code = "payment_declined"


class RefundDeclined(Conflict):
    code = "refund_declined"


class RefundExceedsPayment(Conflict):
    code = "refund_exceeds_payment"


class UnknownProvider(InvalidInput):
    code = "unknown_provider"


class PaymentProviderUnavailable(KuajingError):
    status = 503
    code = "payment_provider_unavailable"
