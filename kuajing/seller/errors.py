from kuajing.errors import Conflict, InvalidInput, NotFound


class InvalidUsState(InvalidInput):
    code = "invalid_us_state"


class CurrencyNotAllowed(InvalidInput):
    code = "currency_not_allowed"


class SellerProfileRequired(Conflict):
    code = "seller_profile_required"


class InvalidCustomsCode(InvalidInput):
    code = "invalid_customs_code"


class InvalidEin(InvalidInput):
    code = "invalid_ein"


class SellerNotApproved(Conflict):
    """The seller's products are not for sale: they are not approved (yet, or any more)."""

    code = "seller_not_approved"


class ApplicationIncomplete(Conflict):
    code = "application_incomplete"


class SellerNotFound(NotFound):
    code = "seller_not_found"


class DocumentNotFound(NotFound):
    code = "document_not_found"


class UnknownDocumentKind(InvalidInput):
    code = "unknown_document_kind"
