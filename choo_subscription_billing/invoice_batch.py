"""Issuing many new customer invoices at once.

A billing run builds its invoices in memory from the values
``on_change_product`` gave one line of each product, so their lines
carry the product's default taxes by construction.  Posting them the
stock way recomputes every invoice's taxes each time an invoice is
written (on creation, numbering, caching the amounts and again when the
move is made) and once more per line to warn about changed taxes.

``issue_batch`` computes the taxes of each distinct invoice once, with
Tryton's own ``_compute_taxes``, and creates them with the invoice.
While it posts, ``update_taxes`` leaves those invoices alone, the taxes
warning is not asked, the amounts are cached in the same save that
stores the move and a new invoice's number fields are not written
before it has a number.  What is booked is what ``Invoice.post`` books.
"""
from trytond.model import dualmethod
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

ISSUING = '_choo_issue_batch'


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @staticmethod
    def issuing():
        """Return the context to build the invoices of a batch in

        A record is saved in the context it was instantiated in, so the
        invoices, their lines and taxes are made inside it.
        """
        return Transaction().set_context(**{ISSUING: True})

    @classmethod
    def issue_batch(cls, invoices):
        "Save the new customer invoices built in memory and post them"
        assert all(i._context.get(ISSUING) for i in invoices), (
            "invoices built outside Invoice.issuing()")
        with cls.issuing():
            cls._set_batch_taxes(invoices)
            cls.save(invoices)
            cls.post(invoices)
        return invoices

    @classmethod
    def _set_batch_taxes(cls, invoices):
        "Give each invoice its taxes, computed once per distinct invoice"
        pool = Pool()
        Tax = pool.get('account.invoice.tax')
        computed = {}
        for invoice in invoices:
            key = invoice._batch_tax_key()
            if key not in computed:
                computed[key] = [
                    value for _, value in invoice._compute_taxes()]
            invoice.taxes = [
                Tax(**{k: v for k, v in value.items() if k != 'invoice'})
                for value in computed[key]]

    def _batch_tax_key(self):
        "Return what decides the taxes the invoice computes"
        return (
            self.company.id, self.currency.id, self.tax_date,
            tuple(sorted(self._get_tax_context().items())),
            tuple(
                (line.product.id if line.product else None,
                    line.account.id, line.quantity, line.unit_price,
                    tuple(sorted(t.id for t in line.taxes)),
                    getattr(line, 'taxes_deductible_rate', None))
                for line in self.lines))

    @dualmethod
    def update_taxes(cls, invoices, exception=False):
        # The batch's invoices were given the taxes they compute
        if Transaction().context.get(ISSUING):
            return
        super().update_taxes(invoices, exception=exception)

    @classmethod
    def _check_taxes(cls, invoices):
        # Their lines have the product's default taxes by construction
        if Transaction().context.get(ISSUING):
            return
        super()._check_taxes(invoices)

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        if Transaction().context.get(ISSUING) and field_names is None:
            # A new invoice has no number to derive values from yet
            values = {k: v for k, v in values.items() if v is not None}
        return values

    @classmethod
    def _store_cache(cls, invoices):
        if not Transaction().context.get(ISSUING):
            return super()._store_cache(invoices)
        # New invoices have no stale cache to clear first; the save of
        # the posted invoices stores it
        for invoice in invoices:
            invoice.untaxed_amount_cache = invoice.untaxed_amount
            invoice.tax_amount_cache = invoice.tax_amount
            invoice.total_amount_cache = invoice.total_amount
