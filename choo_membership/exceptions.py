from trytond.exceptions import UserError


class MemberSequenceError(UserError):
    pass
