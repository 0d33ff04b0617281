from kuajing.errors import Conflict, InvalidInput, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class OutOfStock(Conflict):
    code = "out_of_stock"


class AnnualLimitReached(InvalidInput):
    code = "cbec_annual_limit"


class YearlyQuantityCapReached(InvalidInput):
    code = "yearly_quantity_cap"


class RiskNoticeOutdated(Conflict):
    code = "risk_notice_outdated"


class OrderExpired(Conflict):
    code = "order_expired"


class ReturnWindowClosed(Conflict):
    code = "return_window_closed"
