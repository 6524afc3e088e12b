from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from . import routing
from .party import CHANNELS


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    delivery_channel = fields.Selection(
        [(None, "")] + CHANNELS, "Delivery Channel", readonly=True,
        sort=False,
        states={
            'invisible': Eval('type') != 'out',
            },
        help="The channel the invoice is sent by, "
        "chosen when it is posted.")

    @classmethod
    def set_number(cls, invoices):
        # Tryton numbers invoices on posting, while still modifiable,
        # and saves them once numbered
        cls.set_delivery_channel(invoices)
        super().set_number(invoices)

    @classmethod
    def set_delivery_channel(cls, invoices):
        "Choose, without saving, the channel of each invoice to be posted"
        for invoice in invoices:
            if invoice._needs_delivery_channel():
                invoice.delivery_channel = routing.choose_channel(
                    invoice._get_delivery_receiver()).value

    def _needs_delivery_channel(self):
        "Return whether the invoice still needs its delivery channel"
        return (
            self.type == 'out'
            and not self.delivery_channel
            and self.state not in {'posted', 'paid', 'cancelled'})

    def _get_delivery_receiver(self):
        "Return the facts about the party that decide the channel"
        party = self.party
        email = party.contact_mechanism_get('email', usage='invoice')
        return routing.Receiver(
            efaktura_agreement=bool(party.efaktura_agreement),
            peppol_receiver=bool(party.peppol_receiver),
            organisation_number=party._get_organisation_number(),
            email=email.value if email else None,
            preferred=party.invoice_channel)

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('delivery_channel')
        return super().copy(invoices, default=default)
