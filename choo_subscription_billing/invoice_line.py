from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    cost_centre = fields.Function(fields.Many2One(
            'analytic_account.account', "Cost Centre",
            help="The first analytic account the line goes to."),
        'on_change_with_cost_centre')

    @fields.depends('analytic_accounts', 'company')
    def on_change_product(self):
        pool = Pool()
        Entry = pool.get('analytic.account.entry')

        super().on_change_product()
        if not self.product:
            return

        entries = list(self.analytic_accounts or [])
        for values in self._choo_analytic_entries(
                self.product, company=self.company):
            for entry in entries:
                if entry.root and entry.root.id == values['root']:
                    entry.account = values['account']
                    break
            else:
                entries.append(Entry(**values))
        self.analytic_accounts = entries

    @classmethod
    def _choo_analytic_entries(cls, product, company=None):
        """Return the analytic entry values of the product's cost centre

        The values suit the create of the line's analytic_accounts.
        """
        if company is None:
            company = Transaction().context.get('company')
        company = getattr(company, 'id', company)
        cost_centre = product.template.get_multivalue(
            'cost_centre', company=company)
        if not cost_centre:
            return []
        return [{
                'root': cost_centre.root.id,
                'account': cost_centre.id,
                }]

    # product as its on_change sets the entries
    @fields.depends('analytic_accounts', 'product')
    def on_change_with_cost_centre(self, name=None):
        for entry in self.analytic_accounts or []:
            if entry.account:
                return entry.account
