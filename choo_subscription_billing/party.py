from trytond.model import fields
from trytond.pool import PoolMeta


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    invoice_reference = fields.Char(
        "Your Reference",
        help="The buyer reference to quote on the party's invoices.")
    purchase_order = fields.Char(
        "Purchase Order",
        help="The standing purchase order number to quote on the party's "
        "invoices.")
