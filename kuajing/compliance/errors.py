from kuajing.errors import InvalidInput


class InvalidIdNumberError(InvalidInput):
    code = "invalid_id_number"


class IdentityRequired(InvalidInput):
    code = "identity_required"


class RiskNoticeRequired(InvalidInput):
    code = "risk_notice_required"
