from kuajing.errors import Conflict, InvalidInput, KuajingError, NotFound


class CampaignNotFound(NotFound):
    code = "campaign_not_found"


class DealNotFound(NotFound):
    code = "deal_not_found"


class InvalidCampaignWindow(InvalidInput):
    code = "invalid_campaign_window"


class CampaignEnded(Conflict):
    code = "campaign_ended"


class DealExists(Conflict):
    code = "deal_exists"


class NotStarted(Conflict):
    code = "not_started"


class Ended(Conflict):
    code = "ended"


class SoldOut(Conflict):
    code = "sold_out"


class BuyerLimitReached(Conflict):
    code = "buyer_limit_reached"


class PurchaseUnavailable(KuajingError):
    """The ledger could not apply the attempt (the database kept failing); nothing was taken."""

    status = 503
    code = "purchase_unavailable"
