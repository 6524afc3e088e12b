from decimal import Decimal

from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from choo_subscription_billing import kid


class Issuer(metaclass=PoolMeta):
    __name__ = 'choo.issuer'

    payment_tolerance = fields.Numeric(
        "Payment Tolerance", digits=(16, 2), required=True,
        domain=[('payment_tolerance', '>=', 0)],
        help="A payment that differs from what is due by this much or "
        "less settles the invoice; the difference is written off.")
    payment_write_off = fields.Many2One(
        'account.move.reconcile.write_off', "Write-Off Method",
        domain=[('company', '=', Eval('company', -1))],
        states={
            'required': Eval('payment_tolerance', 0) > 0,
            },
        help="Where the differences within the tolerance are booked.")
    bank_charges = fields.Selection([
            ('payer', "Left to the Payer"),
            ('expense', "Booked as Expense"),
            ], "Bank Charges", required=True,
        help="What happens to the charges a bank deducts from an "
        "international payment: left open on the invoice for the payer, "
        "or booked as an expense so the invoice is settled.")
    bank_charge_account = fields.Many2One(
        'account.account', "Bank Charge Account",
        domain=[
            ('company', '=', Eval('company', -1)),
            ('type.expense', '=', True),
            ('closed', '!=', True),
            ],
        states={
            'required': Eval('bank_charges') == 'expense',
            'invisible': Eval('bank_charges') != 'expense',
            })

    @classmethod
    def default_payment_tolerance(cls):
        return Decimal(0)

    @classmethod
    def default_bank_charges(cls):
        return 'payer'

    def kid_has_check(self, number):
        "Return whether number ends with a check digit of the issuer's rule"
        algorithms = {a for _, a in self.accepted_kid_structures()}
        return bool(algorithms.intersection(kid.algorithms_of(number)))
