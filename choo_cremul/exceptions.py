from trytond.exceptions import UserError


class ImportBankFileError(UserError):
    pass


class AssignPaymentError(UserError):
    pass


class AvtaleGiroImportError(UserError):
    pass
