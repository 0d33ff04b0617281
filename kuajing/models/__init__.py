"""ORM models, one module per area; importing this package registers every table."""

from kuajing.models.base import Base
from kuajing.models.customs import CustomsEvent, CustomsMessage
from kuajing.models.flash_sale import Campaign, Deal, DealBuyer, DealReservation
from kuajing.models.fx import FxRate
from kuajing.models.idempotency import IdempotencyKey
from kuajing.models.identity import BuyerIdentity
from kuajing.models.ledger import CommissionRate, JournalEntry, JournalLine, Payout, PayoutBatch, PayoutLine
from kuajing.models.order import (
    AnnualQuantityUsage,
    AnnualUsage,
    Order,
    OrderEvent,
    OrderLine,
    OrderReturn,
)
from kuajing.models.payment import Payment, PaymentNotification, Refund
from kuajing.models.privacy import DataKey, PersonalDataReveal
from kuajing.models.product import CatalogImport, Product, ProductImage, ProductSearch
from kuajing.models.rules import CbecLimit, JobsRatio, OriginTariff, PositiveListEntry, TaxRule
from kuajing.models.seller import SellerDocument, SellerProfile, SellerReview
from kuajing.models.user import ApiToken, Role, User

__all__ = [
    "AnnualQuantityUsage",
    "AnnualUsage",
    "ApiToken",
    "Base",
    "BuyerIdentity",
    "Campaign",
    "CbecLimit",
    "CommissionRate",
    "CustomsEvent",
    "CustomsMessage",
    "DataKey",
    "Deal",
    "DealBuyer",
    "DealReservation",
    "FxRate",
    "IdempotencyKey",
    "JobsRatio",
    "JournalEntry",
    "JournalLine",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderReturn",
    "OriginTariff",
    "Payment",
    "Payout",
    "PayoutBatch",
    "PayoutLine",
    "PaymentNotification",
    "PersonalDataReveal",
    "PositiveListEntry",
    "CatalogImport",
    "Product",
    "ProductImage",
    "ProductSearch",
    "Refund",
    "Role",
    "SellerDocument",
    "SellerProfile",
    "SellerReview",
    "TaxRule",
    "User",
]
