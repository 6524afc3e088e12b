from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PeppolReceiverError(ValidationError):
    pass


class IssuerDeliveryOrderError(ValidationError):
    pass


class DeliveryProviderError(UserError):
    pass
