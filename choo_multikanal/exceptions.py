from trytond.model.exceptions import ValidationError


class PeppolReceiverError(ValidationError):
    pass
