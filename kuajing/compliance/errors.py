from kuajing.errors import Conflict, InvalidInput, NotFound


class InvalidIdNumberError(InvalidInput):
    code = "invalid_id_number"


class IdentityLocked(Conflict):
    code = "identity_locked"


class InvisibleName(InvalidInput):
    code = "invisible_characters"


class ClaimAlreadyHeld(Conflict):
    code = "claim_already_held"


class ClaimantNotFound(NotFound):
    code = "claimant_not_found"


class IdNumberInUse(Conflict):
    code = "id_number_in_use"


class IdentityMissing(NotFound):
    code = "identity_required"


class RiskNoticeRequired(InvalidInput):
    code = "risk_notice_required"


class RiskNoticeOutdated(Conflict):
    code = "risk_notice_outdated"


class AnnualLimitReached(InvalidInput):
    code = "cbec_annual_limit"


class YearlyQuantityCapReached(InvalidInput):
    code = "yearly_quantity_cap"
