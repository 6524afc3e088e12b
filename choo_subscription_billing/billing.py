import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby, islice

from trytond import backend
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from . import periods
from .exceptions import BillingError
from .savepoint import savepoint

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
SAMPLE_SIZE = 10


@dataclass
class Due:
    "One thing to bill: a subscription period or a group invoicing item"
    payer: object
    product: object
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    description: str
    subscription: object = None
    line: object = None
    period: periods.Period | None = None
    missed: bool = False


@dataclass
class Draft:
    "An invoice being built from the items it bills"
    invoice: object
    dues: list = field(default_factory=list)
    lines: list = field(default_factory=list)


class Issuer(metaclass=PoolMeta):
    __name__ = 'choo.issuer'

    group_invoices = fields.Boolean(
        "Group Invoices",
        help="Bill every subscription of one payer on a single invoice "
        "in a billing run.")
    apply_credit = fields.Boolean(
        "Apply Credit",
        help="Pay the invoices of a billing run with the payer's open "
        "credit (credit notes and overpayments) first.")

    @classmethod
    def default_apply_credit(cls):
        return True


class BillingRun(Workflow, ModelSQL, ModelView):
    __name__ = 'choo.billing.run'
    __string__ = "Billing Run"

    _draft_states = {
        'readonly': ~Eval('state').in_(['draft', 'previewed']),
        }

    company = fields.Many2One(
        'company.company', "Company", required=True,
        states=_draft_states)
    issuer = fields.Many2One(
        'choo.issuer', "Issuer", required=True,
        domain=[('company', '=', Eval('company', -1))],
        states=_draft_states)
    date = fields.Date(
        "Billing Date", required=True, states=_draft_states,
        help="Invoice every period due up to this date, on this date.")
    kind = fields.Selection([
            ('subscriptions', "Subscriptions"),
            ('group', "Group Invoicing"),
            ], "Kind", required=True, states=_draft_states)
    catch_up = fields.Boolean(
        "Catch Up", states={
            **_draft_states,
            'invisible': Eval('kind') != 'subscriptions',
            },
        help="Bill also the periods that earlier runs missed.\n"
        "Without it only the latest due period of each line is billed "
        "and the missed ones are shown in the preview.")
    membership_types = fields.Many2Many(
        'choo.billing.run-choo.membership.type', 'run', 'type',
        "Membership Types", states=_draft_states,
        help="Bill only members of these types.")
    products = fields.Many2Many(
        'choo.billing.run-product.product', 'run', 'product', "Products",
        context={'company': Eval('company', -1)}, depends={'company'},
        states={
            **_draft_states,
            'invisible': Eval('kind') != 'subscriptions',
            },
        help="Bill only subscription lines of these products.")
    parties = fields.Many2Many(
        'choo.billing.run-party.party', 'run', 'party',
        "Members and Organisations", states=_draft_states,
        context={'company': Eval('company', -1)}, depends={'company'},
        help="Bill only these subscribers or payers.")
    categories = fields.Many2Many(
        'choo.billing.run-party.category', 'run', 'category',
        "Party Categories", states=_draft_states,
        help="Bill only parties in these categories.")
    group_product = fields.Many2One(
        'product.product', "Product",
        domain=[('salable', '=', True)],
        context={'company': Eval('company', -1)}, depends={'company'},
        states={
            **_draft_states,
            'invisible': Eval('kind') != 'group',
            'required': Eval('kind') == 'group',
            })
    group_description = fields.Char(
        "Description",
        states={
            **_draft_states,
            'invisible': Eval('kind') != 'group',
            })
    group_quantity = fields.Numeric(
        "Quantity", digits=(16, 4),
        states={
            **_draft_states,
            'invisible': Eval('kind') != 'group',
            'required': Eval('kind') == 'group',
            })
    group_unit_price = fields.Numeric(
        "Unit Price", digits=(16, 4),
        states={
            **_draft_states,
            'invisible': Eval('kind') != 'group',
            'required': Eval('kind') == 'group',
            })

    preview_invoices = fields.Integer("Invoices", readonly=True)
    preview_lines = fields.Integer("Lines", readonly=True)
    preview_amount = fields.Numeric(
        "Untaxed Amount", digits=(16, 2), readonly=True)
    preview_missed = fields.Integer(
        "Missed Periods", readonly=True,
        help="Periods that earlier runs should have billed.")
    preview_missed_amount = fields.Numeric(
        "Missed Amount", digits=(16, 2), readonly=True)
    preview_errors = fields.Integer("Errors", readonly=True)
    preview_summary = fields.One2Many(
        'choo.billing.run.summary', 'run', "Summary", readonly=True)
    preview_sample = fields.Text("First Invoices", readonly=True)

    total = fields.Integer(
        "To Process", readonly=True,
        help="The subscriptions or parties the run processes.")
    processed = fields.Function(
        fields.Integer("Processed"), 'get_progress')
    progress = fields.Function(fields.Float("Progress"), 'get_progress')
    batches = fields.One2Many(
        'choo.billing.run.batch', 'run', "Batches", readonly=True)
    errors = fields.One2Many(
        'choo.billing.run.error', 'run', "Errors", readonly=True)
    items = fields.One2Many(
        'choo.billing.item', 'run', "Billed Items", readonly=True)
    invoices = fields.One2Many(
        'account.invoice', 'billing_run', "Invoices", readonly=True)
    invoice_count = fields.Function(
        fields.Integer("Invoices Issued"), 'get_totals')
    total_amount = fields.Function(
        fields.Numeric("Total Amount", digits=(16, 2)), 'get_totals')
    state = fields.Selection([
            ('draft', "Draft"),
            ('previewed', "Previewed"),
            ('processing', "Processing"),
            ('done', "Done"),
            ], "State", readonly=True, required=True, sort=False)

    del _draft_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('date', 'DESC'))
        cls._transitions |= {
            ('draft', 'previewed'),
            ('previewed', 'previewed'),
            ('previewed', 'draft'),
            ('draft', 'processing'),
            ('previewed', 'processing'),
            ('processing', 'done'),
            # A run with nothing to process is done once approved
            ('draft', 'done'),
            ('previewed', 'done'),
            }
        cls._buttons.update({
                'draft': {
                    'invisible': Eval('state') != 'previewed',
                    'icon': 'tryton-back',
                    'depends': ['state'],
                    },
                'preview': {
                    'invisible': ~Eval('state').in_(['draft', 'previewed']),
                    'icon': 'tryton-search',
                    'depends': ['state'],
                    },
                'commit': {
                    'invisible': Eval('state') != 'previewed',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'process': {
                    'invisible': Eval('state') != 'processing',
                    'icon': 'tryton-refresh',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_issuer(cls):
        return Pool().get('choo.issuer').default_id()

    @staticmethod
    def default_date():
        return Pool().get('ir.date').today()

    @staticmethod
    def default_kind():
        return 'subscriptions'

    @staticmethod
    def default_catch_up():
        return True

    @staticmethod
    def default_group_quantity():
        return Decimal(1)

    @staticmethod
    def default_state():
        return 'draft'

    def get_rec_name(self, name):
        return f'{self.issuer.rec_name} @ {self.date}'

    @classmethod
    def get_progress(cls, runs, names):
        pool = Pool()
        Batch = pool.get('choo.billing.run.batch')
        done = defaultdict(int)
        for batch in Batch.search([
                    ('run', 'in', [r.id for r in runs]),
                    ('state', '=', 'done'),
                    ]):
            done[batch.run.id] += batch.size
        result = {'processed': {}, 'progress': {}}
        for run in runs:
            result['processed'][run.id] = done[run.id]
            if run.state == 'done':
                result['progress'][run.id] = 1.0
            elif run.total:
                result['progress'][run.id] = done[run.id] / run.total
            else:
                result['progress'][run.id] = 0.0
        return {n: result[n] for n in names}

    @classmethod
    def get_totals(cls, runs, names):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        counts = defaultdict(int)
        amounts = defaultdict(Decimal)
        for sub_runs in grouped_slice(runs, backend.MAX_QUERY_PARAMS):
            for invoice in Invoice.search([
                        ('billing_run', 'in', [r.id for r in sub_runs]),
                        ]):
                counts[invoice.billing_run.id] += 1
                amounts[invoice.billing_run.id] += invoice.total_amount
        result = {
            'invoice_count': {r.id: counts[r.id] for r in runs},
            'total_amount': {r.id: amounts[r.id] for r in runs},
            }
        return {n: result[n] for n in names}

    @classmethod
    def copy(cls, runs, default=None):
        default = default.copy() if default is not None else {}
        for name in [
                'preview_invoices', 'preview_lines', 'preview_amount',
                'preview_missed', 'preview_missed_amount', 'preview_errors',
                'preview_summary', 'preview_sample', 'total', 'batches',
                'errors', 'items', 'invoices']:
            default.setdefault(name)
        return super().copy(runs, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, runs):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('previewed')
    def preview(cls, runs):
        "Show what the runs would invoice, without invoicing"
        pool = Pool()
        Summary = pool.get('choo.billing.run.summary')
        Summary.delete(Summary.search([('run', 'in', [r.id for r in runs])]))
        summaries = []
        for run in runs:
            dues, errors = run._compute(run._select())
            drafts = run._group(dues, errors)
            summaries.extend(run._summarise(drafts))
            billed = [due for draft in drafts for due in draft.dues]
            missed = [d for d in dues if d.missed]
            run.preview_invoices = len(drafts)
            run.preview_lines = len(billed)
            round_ = run.company.currency.round
            run.preview_amount = round_(
                sum((d.amount for d in billed), Decimal(0)))
            run.preview_missed = len(missed)
            run.preview_missed_amount = round_(
                sum((d.amount for d in missed), Decimal(0)))
            run.preview_errors = len(errors)
            run.preview_sample = run._sample(drafts, errors)
        Summary.save(summaries)
        cls.save(runs)

    @classmethod
    @ModelView.button
    @Workflow.transition('processing')
    def commit(cls, runs):
        "Invoice and post what the runs bill, batch by batch"
        pool = Pool()
        Batch = pool.get('choo.billing.run.batch')
        batches = []
        for run in runs:
            units = run._select()
            run.total = len(units)
            for number, chunk in enumerate(
                    run._batches(units), 1):
                batches.append(Batch(
                        run=run, number=number, units=json.dumps(chunk),
                        size=len(chunk), state='pending'))
        cls.save(runs)
        Batch.save(batches)
        for batch in batches:
            # One task per batch, so that workers share a run.
            Batch.__queue__.process([batch])
        cls.done([r for r in runs if not r.total])

    @classmethod
    @ModelView.button
    def process(cls, runs):
        "Process again the batches that are still pending"
        pool = Pool()
        Batch = pool.get('choo.billing.run.batch')
        batches = Batch.search([
                ('run', 'in', [r.id for r in runs]),
                ('state', '=', 'pending'),
                ])
        Batch.process(batches)
        cls.finish(runs)

    @classmethod
    def finish(cls, runs):
        "Mark done the runs whose batches are all processed"
        pool = Pool()
        Batch = pool.get('choo.billing.run.batch')
        # Batches of a run end in parallel: one finishes the run at a time,
        # seeing what the others committed.
        cls.lock(runs)
        runs = [r for r in cls.browse(runs) if r.state == 'processing']
        pending = {b.run.id for b in Batch.search([
                    ('run', 'in', [r.id for r in runs]),
                    ('state', '=', 'pending'),
                    ])}
        cls.done([r for r in runs if r.id not in pending])

    @classmethod
    @Workflow.transition('done')
    def done(cls, runs):
        pass

    def _batches(self, units):
        "Yield the units in batches that keep each payer's units together"
        size = self._batch_size()
        batch = []
        for payer_units in self._by_payer(units):
            if batch and len(batch) + len(payer_units) > size:
                yield batch
                batch = []
            batch.extend(payer_units)
        if batch:
            yield batch

    def _by_payer(self, units):
        "Yield the units of each payer together"
        for _, payer_units in groupby(
                self._order_by_payer(units), key=lambda u: u[0]):
            yield [u for _, u in payer_units]

    def _order_by_payer(self, units):
        "Return (payer id, unit) pairs sorted by payer"
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        if self.kind == 'group':
            return [(u, u) for u in units]
        pairs = []
        for sub_units in grouped_slice(units, backend.MAX_QUERY_PARAMS):
            pairs.extend(
                (s['invoice_party'] or s['party'], s['id'])
                for s in Subscription.search_read(
                    [('id', 'in', list(sub_units))],
                    fields_names=['party', 'invoice_party']))
        return sorted(pairs)

    def _lock_series(self):
        """Lock the number series and the journal period posting needs

        Tryton starts a transaction again for each lock it was not given
        at the start; taken first, they cost no billing done twice.
        """
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        Period = pool.get('account.period')
        invoice = Invoice(
            company=self.company, type='out', issuer=self.issuer,
            invoice_date=self.date, accounting_date=None,
            sequence_type_cache='invoice')
        invoice.set_journal()
        with Transaction().set_context(company=self.company.id):
            try:
                sequence, _ = invoice._number_sequence()
                period = Period.find(self.company, date=self.date)
                if invoice.journal:
                    # Locks the table to open the journal's period once
                    MoveLine.check_journal_period_modify(
                        period, invoice.journal)
            except UserError:
                # Posting reports it for each invoice
                return
            for sequence in [sequence, period.move_sequence_used]:
                if sequence and sequence.__name__ == 'ir.sequence.strict':
                    sequence.lock()

    def _batch_size(self):
        "Return how many subscriptions or parties a batch holds"
        return Transaction().context.get('choo_billing_batch_size', BATCH_SIZE)

    def _select(self):
        "Return the sorted ids of the subscriptions or parties to bill"
        if self.kind == 'group':
            return self._select_parties()
        return self._select_subscriptions()

    def _select_subscriptions(self):
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        domain = [
            ('company', '=', self.company.id),
            ('issuer', '=', self.issuer.id),
            ('interval', '!=', None),
            ('state', 'in', ['running', 'closed']),
            ('start_date', '<=', self.date),
            ]
        if self.parties:
            ids = [p.id for p in self.parties]
            domain.append(['OR',
                    ('party', 'in', ids),
                    ('invoice_party', 'in', ids),
                    ])
        if self.products:
            domain.append(
                ('lines.service.product', 'in', [p.id for p in self.products]))
        if members := self._member_ids():
            domain.append(('party', 'in', members))
        elif members is not None:
            return []
        if self.categories:
            domain.append(
                ('party.categories', 'child_of',
                    [c.id for c in self.categories], 'parent'))
        subscriptions = Subscription.search(domain, order=[('id', 'ASC')])
        return [s.id for s in subscriptions]

    def _select_parties(self):
        pool = Pool()
        Party = pool.get('party.party')
        domain = []
        if self.parties:
            domain.append(('id', 'in', [p.id for p in self.parties]))
        if members := self._member_ids():
            domain.append(('id', 'in', members))
        elif members is not None:
            return []
        if self.categories:
            domain.append(
                ('categories', 'child_of',
                    [c.id for c in self.categories], 'parent'))
        if not domain:
            return []
        return [p.id for p in Party.search(domain, order=[('id', 'ASC')])]

    def _member_ids(self):
        "Return the ids of the members of the selected types, or None"
        pool = Pool()
        Membership = pool.get('choo.membership')
        if not self.membership_types:
            return None
        memberships = Membership.search([
                ('type', 'in', [t.id for t in self.membership_types]),
                ('start_date', '<=', self.date),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', self.date),
                    ],
                ])
        return sorted({m.party.id for m in memberships})

    def _compute(self, units):
        "Return what is due for the units and the errors per unit"
        if self.kind == 'group':
            return self._compute_group(units)
        return self._compute_subscriptions(units)

    def _compute_subscriptions(self, ids):
        pool = Pool()
        Item = pool.get('choo.billing.item')
        Subscription = pool.get('sale.subscription')

        subscriptions = Subscription.browse(ids)
        billed = defaultdict(set)
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            for item in Item.search_read([
                        ('subscription', 'in', list(sub_ids)),
                        ('line', '!=', None),
                        ], fields_names=['line', 'period_start']):
                billed[item['line']].add(item['period_start'])

        products = {p.id for p in self.products}
        dues, errors = [], {}
        for subscription in subscriptions:
            try:
                dues.extend(list(self._subscription_dues(
                            subscription, billed, products)))
            except UserError as exception:
                errors[subscription.id] = exception
        return dues, errors

    def _subscription_dues(self, subscription, billed, products):
        "Yield the periods of the subscription due at the date of the run"
        interval = subscription.billing_interval
        timing = periods.Timing(subscription.billing_timing)
        for line in subscription.lines:
            product = line.service.product
            if products and product.id not in products:
                continue
            start = max(filter(None, [
                        line.start_date, subscription.start_date]))
            end = min(filter(None, [
                        line.end_date, subscription.end_date]), default=None)
            due = periods.due_periods(
                subscription.billing_anchor, interval, timing, self.date,
                start=start, end=end, billed=billed[line.id])
            policy = periods.Proration(product.template.billing_proration)
            quantity = Decimal(str(line.quantity))
            for period in due:
                share = periods.prorate(period, start, end, policy)
                if not share:
                    continue
                unit_price = line.unit_price_at(period.start)
                if unit_price is None:
                    raise BillingError(gettext(
                            'choo_subscription_billing.msg_billing_no_price',
                            line=line.rec_name))
                amount = periods.prorated_amount(
                    unit_price, quantity, share)
                yield Due(
                    payer=subscription.payer, product=product,
                    quantity=quantity, unit_price=unit_price, amount=amount,
                    description=self._describe(
                        line.description or product.name, period, share),
                    subscription=subscription, line=line, period=period,
                    missed=period is not due[-1])

    def _compute_group(self, ids):
        pool = Pool()
        Item = pool.get('choo.billing.item')
        Party = pool.get('party.party')

        billed = {i['party'] for i in Item.search_read([
                    ('group_run', '=', self.id),
                    ], fields_names=['party'])}
        product = self.group_product
        quantity = self.group_quantity
        amount = self.company.currency.round(quantity * self.group_unit_price)
        dues = [
            Due(payer=party, product=product, quantity=quantity,
                unit_price=self.group_unit_price, amount=amount,
                description=self.group_description or product.name)
            for party in Party.browse(ids) if party.id not in billed]
        return dues, {}

    @staticmethod
    def _describe(name, period, share):
        "Return the invoice line text for the period"
        text = f"{name} {period.start:%d.%m.%Y}–{period.end:%d.%m.%Y}"
        if share != 1:
            text += " " + gettext(
                'choo_subscription_billing.msg_billing_pro_rata')
        return text

    def _group(self, dues, errors):
        "Return the invoices to issue for the dues, unsaved"
        drafts = {}
        for due in dues:
            if due.missed and not self.catch_up:
                continue
            key = self._invoice_key(due)
            if key not in drafts:
                drafts[key] = Draft(self._get_invoice(due))
            drafts[key].dues.append(due)
        valid = []
        defaults = {}
        for draft in drafts.values():
            try:
                draft.lines = [
                    self._get_invoice_line(draft.invoice, due, defaults)
                    for due in draft.dues]
                draft.invoice.lines = draft.lines
                self._check_invoice(draft.invoice)
            except UserError as exception:
                for due in draft.dues:
                    errors[self._unit(due)] = exception
            else:
                valid.append(draft)
        return valid

    def _unit(self, due):
        "Return the id of the subscription or party the due is billed for"
        if self.kind == 'group':
            return due.payer.id
        return due.subscription.id

    def _check_invoice(self, invoice):
        "Raise the error that posting the invoice would raise, if any"
        if invoice.issuer:
            invoice.issuer._kid_member_number(invoice)
        if not invoice.account:
            raise BillingError(gettext(
                    'choo_subscription_billing.msg_billing_no_receivable',
                    party=invoice.party.rec_name))
        for line in invoice.lines:
            if not line.account:
                raise BillingError(gettext(
                        'choo_subscription_billing.msg_billing_no_revenue',
                        product=line.product.rec_name))

    def _invoice_key(self, due):
        "Return what the dues billed on one invoice share"
        if due.subscription is None:
            return ('party', due.payer.id)
        if self.issuer.group_invoices:
            subscription = due.subscription
            return (
                'payer', due.payer.id,
                subscription.invoice_address.id
                if subscription.invoice_address else None,
                subscription.payment_term.id
                if subscription.payment_term else None,
                subscription.currency.id)
        return ('subscription', due.subscription.id)

    def _get_invoice(self, due):
        "Return a new invoice for the due and those grouped with it"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        if due.subscription:
            # Selected by the run's issuer, it gives its issuer's journal
            invoice = due.subscription._get_invoice()
        else:
            party = due.payer
            invoice = Invoice(
                company=self.company, type='out', party=party,
                invoice_address=party.address_get(type='invoice'),
                currency=self.company.currency,
                account=party.account_receivable_used,
                payment_term=party.customer_payment_term,
                issuer=self.issuer)
            invoice.set_journal()
        invoice.billing_run = self
        invoice.invoice_date = self.date
        if hasattr(invoice, '_choo_set_party_references'):
            invoice._choo_set_party_references()
        return invoice

    def _get_invoice_line(self, invoice, due, defaults):
        "Return the invoice line that bills the due"
        pool = Pool()
        Line = pool.get('account.invoice.line')
        line = Line(
            invoice=invoice, type='line', company=self.company,
            invoice_type='out', currency=invoice.currency,
            party=invoice.party, product=due.product)
        self._set_product_defaults(line, defaults)
        line.quantity = float(due.quantity)
        if due.amount == due.quantity * due.unit_price:
            line.unit_price = due.unit_price
        else:
            # Prorated: the price of the part, so the amount is rounded once
            line.unit_price = (due.amount / due.quantity).quantize(
                Decimal(1).scaleb(-Line.unit_price.digits[1]))
        line.description = due.description
        line.origin = due.line
        if due.period:
            line.service_start = due.period.start
            line.service_end = due.period.end
        return line

    def _set_product_defaults(self, line, cache):
        """Set what the product gives the line, as on_change_product does

        The product's account, taxes and cost centre are the same on every
        line of a product for payers of the same tax rule: on_change_product
        runs once per product and rule, and its values are copied.
        """
        pool = Pool()
        Entry = pool.get('analytic.account.entry')
        Line = pool.get('account.invoice.line')
        TaxRule = pool.get('account.tax.rule')
        if 'tax_rules' not in cache:
            cache['tax_rules'] = bool(TaxRule.search([], limit=1))
        key = (line.product.id,
            line.party.customer_tax_rule if cache['tax_rules'] else None)
        if key not in cache:
            template = Line(**{
                    name: getattr(line, name)
                    for name in ['invoice', 'type', 'company', 'invoice_type',
                        'currency', 'party', 'product']})
            template.on_change_product()
            cache[key] = template
        template = cache[key]
        for name in ['account', 'unit', 'taxes', 'taxes_deductible_rate']:
            setattr(line, name, getattr(template, name, None))
        entries = getattr(template, 'analytic_accounts', None)
        if entries is not None:
            line.analytic_accounts = [
                Entry(root=e.root, account=e.account) for e in entries]

    def _summarise(self, drafts):
        "Return the preview summary lines per product and cost centre"
        pool = Pool()
        Summary = pool.get('choo.billing.run.summary')
        totals = {}
        for draft in drafts:
            for due, line in zip(draft.dues, draft.lines):
                key = (due.product, self._cost_centre(line))
                summary = totals.setdefault(key, Summary(
                        run=self, product=due.product, cost_centre=key[1],
                        lines=0, amount=Decimal(0)))
                summary.lines += 1
                summary.amount += due.amount
        return list(totals.values())

    @staticmethod
    def _cost_centre(line):
        "Return the name of the cost centre of the invoice line"
        for entry in getattr(line, 'analytic_accounts', None) or []:
            if entry.account:
                return entry.account.rec_name
        return ''

    def _sample(self, drafts, errors):
        "Return the text of the first invoices and errors"
        texts = []
        for draft in islice(drafts, SAMPLE_SIZE):
            total = sum((d.amount for d in draft.dues), Decimal(0))
            texts.append(f"{draft.invoice.party.rec_name}: {total}")
            texts.extend(f"    {d.description}: {d.amount}"
                for d in draft.dues)
        for unit, exception in islice(errors.items(), SAMPLE_SIZE):
            texts.append(f"! {unit}: {exception.message}")
        return '\n'.join(texts)

    def _bill_batch(self, units):
        "Bill the units at once, or payer by payer if posting them fails"
        try:
            with savepoint():
                return self._bill(units)
        except UserError:
            # The message names the payer, which a log line must not.
            logger.warning(
                "billing run %s: a batch of %s failed, billed per payer",
                self.id, len(units))
        errors = {}
        for payer_units in self._by_payer(units):
            try:
                with savepoint():
                    errors.update(self._bill(payer_units))
            except UserError as exception:
                errors.update(dict.fromkeys(payer_units, exception))
        return errors

    def _bill(self, units):
        "Invoice and post what is due for the units; return the errors"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Item = pool.get('choo.billing.item')

        with Invoice.issuing():
            dues, errors = self._compute(units)
            drafts = self._group(dues, errors)
            invoices = [d.invoice for d in drafts]
            if invoices:
                Invoice.issue_batch(invoices)
        if invoices:
            self._apply_credit(invoices)

        items = []
        for draft in drafts:
            lines = self._saved_lines(draft)
            for due, line in zip(draft.dues, lines):
                items.append(self._get_item(due, draft.invoice, line))
        Item.save(items)
        return errors

    @staticmethod
    def _saved_lines(draft):
        "Return the saved lines of the draft's invoice in the draft's order"
        lines = {
            (l.origin, l.service_start, l.description): l
            for l in draft.invoice.lines}
        return [
            lines[(l.origin, getattr(l, 'service_start', None),
                    l.description)]
            for l in draft.lines]

    def _get_item(self, due, invoice, line):
        "Return the billed item that records the due"
        pool = Pool()
        Item = pool.get('choo.billing.item')
        period = due.period
        return Item(
            run=self, subscription=due.subscription, line=due.line,
            group_run=self if due.subscription is None else None,
            party=due.payer, product=due.product,
            period_start=period.start if period else None,
            period_end=period.end if period else None,
            quantity=due.quantity, unit_price=due.unit_price,
            amount=due.amount, invoice=invoice, invoice_line=line)

    @classmethod
    def run_scheduled(cls):
        "Bill up to today for every issuer of the task's company, or all"
        pool = Pool()
        Issuer = pool.get('choo.issuer')
        Date = pool.get('ir.date')
        company = Transaction().context.get('company')
        domain = [('company', '=', company)] if company else []
        runs = []
        for issuer in Issuer.search(domain):
            with Transaction().set_context(company=issuer.company.id):
                runs.append(cls(
                        company=issuer.company, issuer=issuer,
                        date=Date.today(), kind='subscriptions',
                        catch_up=True))
        cls.save(runs)
        cls.commit(runs)


class BillingRunBatch(ModelSQL, ModelView):
    __name__ = 'choo.billing.run.batch'
    __string__ = "Billing Run Batch"

    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    number = fields.Integer("Number", required=True, readonly=True)
    units = fields.Text("Units", readonly=True)
    size = fields.Integer("Size", readonly=True)
    invoice_count = fields.Integer("Invoices", readonly=True)
    state = fields.Selection([
            ('pending', "Pending"),
            ('done', "Done"),
            ], "State", readonly=True, required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('number', 'ASC'))

    @classmethod
    def process(cls, batches):
        "Bill the batches that are still pending, each once"
        pool = Pool()
        Run = pool.get('choo.billing.run')
        Error = pool.get('choo.billing.run.error')
        Invoice = pool.get('account.invoice')

        # A second worker on the same batch waits here, then skips it.
        cls.lock(batches)
        batches = [b for b in cls.browse(batches) if b.state == 'pending']
        for run in {b.run for b in batches}:
            run._lock_series()
        errors = []
        for batch in batches:
            run = batch.run
            with Transaction().set_context(
                    company=run.company.id, _skip_warnings=True):
                failed = run._bill_batch(json.loads(batch.units))
            errors.extend(
                Error(run=run, subscription=unit
                    if run.kind == 'subscriptions' else None,
                    party=unit if run.kind == 'group' else None,
                    message=exception.message)
                for unit, exception in failed.items())
            batch.invoice_count = Invoice.search([
                    ('billing_run', '=', run.id),
                    ], count=True)
            batch.state = 'done'
        Error.save(errors)
        cls.save(batches)
        # In a transaction of its own, after this one is committed
        Run.__queue__.finish(list({b.run for b in batches}))


class BillingRunError(ModelSQL, ModelView):
    __name__ = 'choo.billing.run.error'
    __string__ = "Billing Error"

    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    subscription = fields.Many2One(
        'sale.subscription', "Subscription", ondelete='CASCADE')
    party = fields.Many2One('party.party', "Party", ondelete='CASCADE')
    message = fields.Text("Message", readonly=True)


class BillingRunSummary(ModelSQL, ModelView):
    __name__ = 'choo.billing.run.summary'
    __string__ = "Billing Run Summary"

    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    product = fields.Many2One('product.product', "Product", readonly=True)
    cost_centre = fields.Char("Cost Centre", readonly=True)
    lines = fields.Integer("Lines", readonly=True)
    amount = fields.Numeric("Untaxed Amount", digits=(16, 2), readonly=True)


class BillingRunMembershipType(ModelSQL):
    __name__ = 'choo.billing.run-choo.membership.type'
    __string__ = "Billing Run - Membership Type"
    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    type = fields.Many2One(
        'choo.membership.type', "Membership Type", required=True,
        ondelete='CASCADE')


class BillingRunProduct(ModelSQL):
    __name__ = 'choo.billing.run-product.product'
    __string__ = "Billing Run - Product"
    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='CASCADE')


class BillingRunParty(ModelSQL):
    __name__ = 'choo.billing.run-party.party'
    __string__ = "Billing Run - Party"
    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Party", required=True, ondelete='CASCADE')


class BillingRunCategory(ModelSQL):
    __name__ = 'choo.billing.run-party.category'
    __string__ = "Billing Run - Party Category"
    run = fields.Many2One(
        'choo.billing.run', "Run", required=True, ondelete='CASCADE')
    category = fields.Many2One(
        'party.category', "Category", required=True, ondelete='CASCADE')
