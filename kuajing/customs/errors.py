from kuajing.errors import NotFound


class CustomsMessageNotFound(NotFound):
    code = "customs_message_not_found"


class UnknownMessageType(NotFound):
    code = "unknown_customs_message_type"
