from trytond.exceptions import UserError


class ImportBankFileError(UserError):
    pass
