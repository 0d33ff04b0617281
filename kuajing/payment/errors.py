from kuajing.errors import Conflict


class PaymentDeclined(Conflict):
    code = "payment_declined"


class RefundDeclined(Conflict):
    code = "refund_declined"
