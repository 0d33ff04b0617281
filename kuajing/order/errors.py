from kuajing.errors import Conflict, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderExpired(Conflict):
    code = "order_expired"


class ReturnWindowClosed(Conflict):
    code = "return_window_closed"
