from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Journal(metaclass=PoolMeta):
    __name__ = 'account.statement.journal'

    unmatched_account = fields.Many2One(
        'account.account', "Unmatched Payments Account",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type', '!=', None),
            ('closed', '!=', True),
            ('party_required', '=', False),
            ],
        help="Where imported payments that match no invoice wait "
        "until someone identifies them.")
