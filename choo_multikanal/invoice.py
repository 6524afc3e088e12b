import re

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import without_check_access

from . import routing
from .delivery import options
from .distribution import Addresses, Document, PostalAddress, peppol_id
from .party import CHANNELS
from .providers import provider_name

# What a key may not hold, from an invoice number
_UNSAFE = re.compile(r'[^A-Za-z0-9_-]+')


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
    deliveries = fields.One2Many(
        'choo.delivery', 'invoice', "Deliveries", readonly=True,
        states={
            'invisible': Eval('type') != 'out',
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'resend_wizard': {
                    'invisible': ((Eval('type') != 'out')
                        | ~Eval('state').in_(['posted', 'paid'])),
                    'depends': ['type', 'state'],
                    },
                })

    @classmethod
    def _post(cls, invoices):
        super()._post(invoices)
        cls.create_deliveries(invoices)

    @classmethod
    def create_deliveries(cls, invoices):
        "Create the first delivery of the posted customer invoices"
        pool = Pool()
        Delivery = pool.get('choo.delivery')
        invoices = [i for i in invoices
            if i.type == 'out' and i.delivery_channel]
        delivered = set()
        for sub_invoices in grouped_slice(invoices):
            delivered.update(d.invoice.id for d in Delivery.search([
                        ('invoice', 'in', [i.id for i in sub_invoices]),
                        ]))
        with without_check_access():
            deliveries = Delivery.create_for(
                [i for i in invoices if i.id not in delivered])
        if deliveries and cls._send_on_post():
            Delivery.queue(deliveries)
        return deliveries

    @classmethod
    def _send_on_post(cls):
        "Return whether posting queues the sending of the deliveries"
        opts = options()
        if opts.get('send_on_post', 'true').lower() in {'false', '0', 'no'}:
            return False
        return any(provider_name(c, opts) for c in routing.Channel)

    @classmethod
    @ModelView.button_action('choo_multikanal.wizard_resend')
    def resend_wizard(cls, invoices):
        pass

    def last_delivery_channel(self):
        "Return the channel of the invoice's latest delivery"
        if self.deliveries:
            return max(self.deliveries, key=lambda d: d.id).channel
        return self.delivery_channel

    @classmethod
    def resend(cls, invoices, channels=None):
        "Send the invoices again, by their channel or the one given"
        pool = Pool()
        Delivery = pool.get('choo.delivery')
        by_round = {}
        for invoice in invoices:
            by_round.setdefault(len(invoice.deliveries) + 1, []).append(
                invoice)
        deliveries = []
        with without_check_access():
            for round_, group in by_round.items():
                deliveries += Delivery.create_for(group, round_, channels)
        Delivery.check_providers(deliveries)
        Delivery.queue(deliveries)
        return deliveries

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
                    invoice._get_delivery_receiver(),
                    invoice._get_delivery_order()).value

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
            efaktura_agreement=bool(
                party.efaktura_agreement and party.efaktura_id),
            peppol_receiver=bool(party.peppol_receiver),
            organisation_number=party._get_organisation_number(),
            email=email.value if email else None,
            preferred=party.invoice_channel)

    def _get_delivery_order(self):
        "Return the issuer's order of preference of channels"
        if self.issuer:
            return self.issuer.get_delivery_order()
        return routing.DEFAULT_ORDER

    def _get_delivery_channels(self):
        "Return the channels that can reach the party, most wanted first"
        return routing.possible_channels(
            self._get_delivery_receiver(), self._get_delivery_order())

    def _get_delivery_base(self):
        "Return the stable base of the invoice's idempotency keys"
        number = _UNSAFE.sub('-', self.number or str(self.id)).strip('-')
        return f'C{self.company.id}-{number}'

    def _get_delivery_addresses(self):
        "Return the party's address on each channel"
        party = self.party
        email = party.contact_mechanism_get('email', usage='invoice')
        organisation = party._get_organisation_number()
        peppol = None
        if party.peppol_receiver and organisation:
            peppol = peppol_id(organisation)
        return Addresses(
            efaktura_id=party.efaktura_id or None, peppol_id=peppol,
            email=email.value if email else None,
            postal=self._get_delivery_postal())

    def _get_delivery_postal(self):
        "Return the postal address of the letter, or None"
        address = self.invoice_address
        if not address or not address.postal_code or not address.city:
            return None
        lines = tuple(filter(None, (address.street or '').splitlines()))
        return PostalAddress(
            name=address.party_full_name or self.party.rec_name,
            lines=lines, postal_code=address.postal_code,
            city=address.city,
            country=address.country.code if address.country else 'NO')

    def _get_delivery_document(self, key, channel):
        "Return the document that delivers the invoice by channel"
        attach_ehf = (
            channel == routing.Channel.EMAIL and self.party.email_attach_ehf)
        # Both renderings share the one mapping of the invoice.
        document = self.get_ehf_document()
        return Document(
            key=key, channel=channel,
            addresses=self._get_delivery_addresses(),
            pdf=self.get_delivery_pdf(document),
            ehf=(self.get_delivery_ehf(document)
                if channel == routing.Channel.EHF or attach_ehf else None),
            attach_ehf=attach_ehf,
            number=self.number or '',
            issuer=(self.issuer.name if self.issuer
                else self.company.rec_name),
            language=self._get_delivery_language(),
            avtalegiro=self._is_avtalegiro(),
            metadata={'invoice': str(self.id)})

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('delivery_channel')
        default.setdefault('deliveries')
        return super().copy(invoices, default=default)

