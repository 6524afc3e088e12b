from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PeppolReceiverError(ValidationError):
    pass


class IssuerDeliveryOrderError(ValidationError):
    pass


class DeliveryProviderError(UserError):
    pass


class EhfError(UserError):
    pass


class EhfStateError(EhfError):
    pass


class EhfIssuerError(EhfError):
    pass


class EhfPartyError(EhfError):
    pass


class EhfVatError(EhfError):
    pass


class EhfCurrencyError(EhfError):
    pass


class EhfAmountError(EhfError):
    pass


class EhfRuleError(EhfError):
    pass
