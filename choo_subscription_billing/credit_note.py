from collections import defaultdict

from trytond import backend
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    credited_invoices = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Credited Invoices",
            states={
                'invisible': ~Eval('credited_invoices'),
                },
            help="The invoices whose lines this credit note credits."),
        'get_origin_invoices', searcher='search_origin_invoices')
    credit_notes = fields.Function(fields.Many2Many(
            'account.invoice', None, None, "Credit Notes",
            states={
                'invisible': ~Eval('credit_notes'),
                },
            help="The credit notes that credit lines of this invoice."),
        'get_credit_notes')

    @classmethod
    def get_credit_notes(cls, invoices, name):
        pool = Pool()
        Line = pool.get('account.invoice.line')

        notes = defaultdict(set)
        for sub_invoices in grouped_slice(invoices, backend.MAX_QUERY_PARAMS):
            credit_lines = Line.search([
                    ('origin.invoice', 'in', [i.id for i in sub_invoices],
                        'account.invoice.line'),
                    ('invoice', '!=', None),
                    ])
            for line in credit_lines:
                notes[line.origin.invoice.id].add(line.invoice.id)
        return {
            i.id: sorted(notes[i.id] - {i.id}) for i in invoices}

    def _credit(self, **values):
        credit = super()._credit(**values)
        credit.issuer = self.issuer
        return credit
