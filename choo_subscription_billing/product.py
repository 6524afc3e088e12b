from trytond.model import fields
from trytond.pool import PoolMeta


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    billing_proration = fields.Selection([
            ('whole', "Whole Period"),
            ('pro_rata', "Pro Rata"),
            ], "Proration", required=True,
        help="How a subscription period that the member joins or leaves "
        "part of is billed:\n"
        "the whole period, or the days covered over the period's own "
        "length.")

    @classmethod
    def default_billing_proration(cls):
        return 'whole'
