from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class KIDError(UserError):
    pass


class IssuerValidationError(ValidationError):
    pass


class IssuerOrgnrError(ValidationError):
    pass


class IssuerBankAccountError(ValidationError):
    pass


class ProductKIDCodeError(ValidationError):
    pass


class IssuerSequenceError(UserError):
    pass


class InvoiceKIDError(ValidationError):
    pass


class BillingError(UserError):
    pass


class InvoiceMemberError(UserError):
    pass


class RefundCreditError(UserError):
    pass
