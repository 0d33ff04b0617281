"""ORM models, one module per area; importing this package registers every table."""

from kuajing.models.base import Base
from kuajing.models.fx import FxRate
from kuajing.models.idempotency import IdempotencyKey
from kuajing.models.identity import BuyerIdentity
from kuajing.models.order import AnnualUsage, Order, OrderEvent, OrderLine, OrderReturn, Payment
from kuajing.models.product import Product
from kuajing.models.rules import CbecLimit, JobsRatio, OriginTariff, TaxRule
from kuajing.models.seller import SellerProfile
from kuajing.models.user import ApiToken, Role, User

__all__ = [
    "AnnualUsage",
    "ApiToken",
    "Base",
    "BuyerIdentity",
    "CbecLimit",
    "FxRate",
    "IdempotencyKey",
    "JobsRatio",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderReturn",
    "OriginTariff",
    "Payment",
    "Product",
    "Role",
    "SellerProfile",
    "TaxRule",
    "User",
]
