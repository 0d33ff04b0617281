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


class InvalidVariants(InvalidInput):
    code = "invalid_variants"


class VariantRequired(InvalidInput):
    """A product with options was named without saying which variant."""

    code = "variant_required"


class UnknownVariant(InvalidInput):
    code = "unknown_variant"
