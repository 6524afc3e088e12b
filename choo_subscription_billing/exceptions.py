from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class KIDError(UserError):
    pass


class IssuerValidationError(ValidationError):
    pass


class InvoiceKIDError(ValidationError):
    pass


class BillingError(UserError):
    pass


class InvoiceMemberError(UserError):
    pass


class RefundCreditError(UserError):
    pass
