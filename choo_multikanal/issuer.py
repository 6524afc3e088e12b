from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta

from . import routing
from .exceptions import IssuerDeliveryOrderError


class Issuer(metaclass=PoolMeta):
    __name__ = 'choo.issuer'

    delivery_order = fields.Char(
        "Channel Order",
        help="The channels the issuer sends invoices by, most wanted "
        "first, separated by spaces: ehf, efaktura, email and print.\n"
        "A channel the party chose wins; a letter is the last resort.")

    @classmethod
    def default_delivery_order(cls):
        return ' '.join(c.value for c in routing.DEFAULT_ORDER)

    def get_delivery_order(self):
        "Return the channels of the issuer's order of preference"
        return routing.parse_order(self.delivery_order)

    @classmethod
    def validate_fields(cls, issuers, field_names):
        super().validate_fields(issuers, field_names)
        if 'delivery_order' in field_names:
            cls.check_delivery_order(issuers)

    @classmethod
    def check_delivery_order(cls, issuers):
        "Check that the order names each known channel at most once"
        for issuer in issuers:
            try:
                issuer.get_delivery_order()
            except ValueError:
                raise IssuerDeliveryOrderError(gettext(
                        'choo_multikanal.msg_issuer_delivery_order',
                        issuer=issuer.rec_name,
                        order=issuer.delivery_order))
