from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .party import CHANNELS


class ResendStart(ModelView):
    __name__ = 'choo.delivery.resend.start'
    __string__ = "Resend Invoices"

    channel = fields.Selection(
        [(None, "Channel of Each Invoice")] + CHANNELS, "Channel",
        sort=False,
        help="The channel to send the invoices by this time.")


class Resend(Wizard):
    __name__ = 'choo.delivery.resend'
    __string__ = "Resend Invoices"

    start = StateView(
        'choo.delivery.resend.start',
        'choo_multikanal.delivery_resend_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Resend", 'resend', 'tryton-ok', default=True),
            ])
    resend = StateTransition()

    def default_start(self, fields):
        channels = {i.last_delivery_channel() for i in self.records}
        return {'channel': channels.pop() if len(channels) == 1 else None}

    def transition_resend(self):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        channel = self.start.channel
        invoices = [
            i for i in self.records
            if i.type == 'out' and i.state in {'posted', 'paid'}]
        Invoice.resend(invoices, channels={
                i.id: channel or i.last_delivery_channel()
                for i in invoices})
        return 'end'
