from kuajing.errors import Conflict, Forbidden, InvalidInput, NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"


class NotYourProduct(Forbidden):
    code = "not_your_product"


class DuplicateSku(Conflict):
    code = "duplicate_sku"


class InvalidAttributes(InvalidInput):
    code = "invalid_attributes"


class StockWouldGoNegative(Conflict):
    code = "stock_would_go_negative"


class OutOfStock(Conflict):
    code = "out_of_stock"
