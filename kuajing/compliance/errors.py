from kuajing.errors import InvalidInput, NotFound


class InvalidIdNumberError(InvalidInput):
    code = "invalid_id_number"


class IdentityMissing(NotFound):
    code = "identity_required"


class RiskNoticeRequired(InvalidInput):
    code = "risk_notice_required"
