"""Issuing many new customer invoices at once."""
from trytond.pool import PoolMeta


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    @classmethod
    def issue_batch(cls, invoices):
        "Save the new customer invoices built in memory and post them"
        cls.save(invoices)
        cls.post(invoices)
        return invoices
