from collections import defaultdict

from sql import Null

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If

from trytond.modules.account_invoice.exceptions import InvoiceNumberError
from trytond.tools import grouped_slice

from . import kid
from .exceptions import InvoiceKIDError, IssuerSequenceError


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('type') != 'out',
            })
    kid = fields.Char(
        "KID", strip=False,
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': Eval('type') != 'out',
            },
        help="The customer identification the payer quotes.\n"
        "Leave empty to have the issuer's KID given on posting.")
    billing_run = fields.Many2One(
        'choo.billing.run', "Billing Run", readonly=True,
        ondelete='RESTRICT',
        states={
            'invisible': ~Eval('billing_run'),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('issuer_kid_unique', Unique(t, t.issuer, t.kid),
                'choo_subscription_billing.msg_invoice_kid_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.kid, Index.Equality()), where=t.kid != Null),
                Index(
                    t, (t.billing_run, Index.Range()),
                    where=t.billing_run != Null),
                })

    @classmethod
    def validate_fields(cls, invoices, field_names):
        super().validate_fields(invoices, field_names)
        if 'kid' in field_names:
            cls.check_kid(invoices)

    @classmethod
    def check_kid(cls, invoices):
        "Check that a KID given by hand passes its check digit"
        for invoice in invoices:
            if invoice.kid and not kid.is_valid(invoice.kid):
                raise InvoiceKIDError(gettext(
                        'choo_subscription_billing.msg_invoice_kid_invalid',
                        invoice=invoice.rec_name, kid=invoice.kid))

    @classmethod
    def default_issuer(cls):
        return Pool().get('choo.issuer').default_id()

    @fields.depends(methods=['set_journal'])
    def on_change_issuer(self):
        self.set_journal()

    @fields.depends('issuer')
    def set_journal(self, pattern=None):
        super().set_journal(pattern=pattern)
        if self.type == 'out' and self.issuer:
            self.journal = self.issuer.journal

    def _number_sequence(self, pattern=None):
        pattern = pattern.copy() if pattern is not None else {}
        issuer = self.issuer if self.type == 'out' else None
        pattern.setdefault('issuer', issuer.id if issuer else None)
        try:
            return super()._number_sequence(pattern=pattern)
        except InvoiceNumberError:
            if not issuer:
                raise
            raise IssuerSequenceError(gettext(
                    'choo_subscription_billing.msg_issuer_no_sequence',
                    invoice=self.rec_name, issuer=issuer.rec_name,
                    fiscalyear=self._number_fiscalyear().rec_name))

    def _number_fiscalyear(self):
        "Return the fiscal year the invoice is numbered in"
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        return FiscalYear.find(
            self.company, date=self.accounting_date or self.invoice_date)

    @classmethod
    def set_payment_means(cls, invoices):
        super().set_payment_means(invoices)
        cls._set_issuer_payment_means(invoices)

    @classmethod
    def _set_issuer_payment_means(cls, invoices):
        "Pay to the issuer's bank account the invoices no rule gave a mean"
        pool = Pool()
        PaymentMean = pool.get('account.invoice.payment.mean')

        invoices = [
            i for i in invoices
            if i.type == 'out' and i.issuer and i.issuer.bank_account]
        paid_to = set()
        for sub_invoices in grouped_slice(invoices, backend.MAX_QUERY_PARAMS):
            paid_to.update(m.invoice for m in PaymentMean.search([
                        ('invoice', 'in', [i.id for i in sub_invoices]),
                        ]))
        PaymentMean.save([
                PaymentMean.from_issuer(i) for i in invoices
                if i not in paid_to])

    @classmethod
    def set_number(cls, invoices):
        # Tryton saves the invoices once it has numbered them
        cls.set_kid(invoices)
        super().set_number(invoices)

    @classmethod
    def set_kid(cls, invoices):
        "Give each customer invoice to be issued its KID, without saving"
        by_issuer = defaultdict(list)
        for invoice in invoices:
            if invoice._needs_kid():
                by_issuer[invoice.issuer].append(invoice)
        for issuer, issuer_invoices in by_issuer.items():
            for invoice, new_kid in zip(
                    issuer_invoices, issuer.get_kids(issuer_invoices)):
                invoice.kid = new_kid

    def _needs_kid(self):
        "Return whether the invoice is to be paid by a KID it has not got"
        return (
            self.type == 'out'
            and bool(self.issuer)
            and not self.kid
            and self.state not in {'posted', 'paid', 'cancelled'}
            and self._sequence_type == 'invoice')

    def _is_avtalegiro(self):
        "Return whether the invoice is debited by AvtaleGiro"
        return False

    def _customer_payment_reference_type(self):
        if self.kid:
            return 'kid'
        return super()._customer_payment_reference_type()

    def _format_customer_payment_reference_kid(self, source):
        return self.kid

    @classmethod
    def _search_customer_payment_reference(cls, value):
        yield from super()._search_customer_payment_reference(value)
        yield ('kid', '=', value)

    @classmethod
    def copy(cls, invoices, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('kid')
        default.setdefault('billing_run')
        return super().copy(invoices, default=default)


class InvoiceLine(metaclass=PoolMeta):
    __name__ = 'account.invoice.line'

    service_start = fields.Date(
        "Service Start",
        domain=[
            If(Eval('service_start') & Eval('service_end'),
                ('service_start', '<=', Eval('service_end')),
                ()),
            ],
        states={
            'readonly': Eval('invoice_state') != 'draft',
            'invisible': Eval('type') != 'line',
            },
        help="The first day of the period the line bills.")
    service_end = fields.Date(
        "Service End",
        domain=[
            If(Eval('service_start') & Eval('service_end'),
                ('service_end', '>=', Eval('service_start')),
                ()),
            ],
        states={
            'readonly': Eval('invoice_state') != 'draft',
            'invisible': Eval('type') != 'line',
            },
        help="The last day of the period the line bills, inclusive.")
