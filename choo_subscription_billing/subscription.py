from decimal import ROUND_HALF_UP, Decimal

from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.rpc import RPC
from trytond.transaction import Transaction

from . import periods

INTERVALS = [
    (None, ""),
    ('monthly', "Monthly"),
    ('quarterly', "Quarterly"),
    ('half_yearly', "Half-Yearly"),
    ('yearly', "Yearly"),
    ]


class Subscription(metaclass=PoolMeta):
    __name__ = 'sale.subscription'

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="Who invoices this subscription.")
    interval = fields.Selection(
        INTERVALS, "Billing Interval",
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="Bill the subscription per period of this length "
        "in billing runs.\n"
        "Leave empty to invoice by the invoice recurrence instead.")
    billing_timing = fields.Selection([
            ('advance', "In Advance"),
            ('arrears', "In Arrears"),
            ], "Billing Timing",
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('interval'),
            'required': Bool(Eval('interval')),
            },
        help="Bill each period on its first day or after its last day.")
    anchor_date = fields.Date(
        "Anchor Date",
        states={
            'readonly': Eval('state') != 'draft',
            'invisible': ~Eval('interval'),
            },
        help="Every period starts on this date plus whole periods.\n"
        "Leave empty to count from the start date.")
    billed_items = fields.One2Many(
        'choo.billing.item', 'subscription', "Billed Periods",
        readonly=True,
        states={
            'invisible': ~Eval('interval'),
            })
    billing_errors = fields.One2Many(
        'choo.billing.run.error', 'subscription', "Billing Errors",
        readonly=True,
        states={
            'invisible': ~Eval('billing_errors'),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.invoice_recurrence.required = False
        cls.invoice_recurrence.states = {
            **cls.invoice_recurrence.states,
            'required': ~Eval('interval'),
            'invisible': Bool(Eval('interval')),
            }
        cls.invoice_party.help = (
            "The party who pays, when it is not the subscriber: "
            "a household member or an employer.")
        # A member may leave while the subscription runs.
        cls.end_date.states = {
            **cls.end_date.states,
            'readonly': ~Eval('state').in_(['draft', 'running']),
            }

    @classmethod
    def default_issuer(cls):
        return Pool().get('choo.issuer').default_id()

    @classmethod
    def default_billing_timing(cls):
        return 'advance'

    @property
    def billing_interval(self):
        "Return the periods.Interval of the subscription, or None"
        if self.interval:
            return periods.Interval[self.interval.upper()]

    @property
    def billing_anchor(self):
        "Return the date the periods of the subscription count from"
        return self.anchor_date or self.start_date

    @property
    def payer(self):
        "Return the party who pays the invoices of the subscription"
        return self.invoice_party or self.party

    def compute_next_invoice_date(self):
        if self.interval:
            # Billing runs invoice it, not the invoice recurrence.
            return None
        return super().compute_next_invoice_date()

    @classmethod
    def validate_invoice_recurrence(cls, subscriptions, field_names=None):
        super().validate_invoice_recurrence(
            [s for s in subscriptions if not s.interval],
            field_names=field_names)

    def _get_invoice(self):
        invoice = super()._get_invoice()
        invoice.issuer = self.issuer
        invoice.billing_run = Transaction().context.get('choo_billing_run')
        invoice.set_journal()
        return invoice

    @classmethod
    def copy(cls, subscriptions, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('billed_items')
        default.setdefault('billing_errors')
        return super().copy(subscriptions, default=default)


class SubscriptionLine(metaclass=PoolMeta):
    __name__ = 'sale.subscription.line'

    prices = fields.One2Many(
        'sale.subscription.line.price', 'line', "Price Changes",
        help="The unit prices that apply from a given date, "
        "such as a yearly indexation.")

    def compute_next_consumption_date(self):
        if self.subscription and self.subscription.interval:
            return None
        return super().compute_next_consumption_date()

    def unit_price_at(self, date):
        "Return the unit price of the period starting on date"
        price = self.unit_price
        for change in sorted(self.prices, key=lambda p: p.date):
            if change.date <= date:
                price = change.unit_price
        return price

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'index_prices': RPC(readonly=False, instantiate=0),
                })

    @classmethod
    def index_prices(cls, lines, date, factor, digits=2):
        "Change the prices from date to the price then times factor"
        pool = Pool()
        Price = pool.get('sale.subscription.line.price')
        Price.delete(Price.search([
                    ('line', 'in', [l.id for l in lines]),
                    ('date', '=', date),
                    ]))
        exp = Decimal(1).scaleb(-digits)
        Price.save([
                Price(line=line, date=date,
                    unit_price=(line.unit_price_at(date) * factor).quantize(
                        exp, rounding=ROUND_HALF_UP))
                for line in lines])

    @classmethod
    def copy(cls, lines, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('prices')
        return super().copy(lines, default=default)


class SubscriptionLinePrice(ModelSQL, ModelView):
    __name__ = 'sale.subscription.line.price'
    __string__ = "Subscription Line Price"

    line = fields.Many2One(
        'sale.subscription.line', "Line", required=True, ondelete='CASCADE')
    date = fields.Date(
        "From", required=True,
        help="The price applies to the periods starting on or after "
        "this date.")
    unit_price = fields.Numeric("Unit Price", digits=(16, 4), required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('line_date_unique', Unique(t, t.line, t.date),
                'choo_subscription_billing.msg_line_price_date_unique'),
            ]
        cls._order.insert(0, ('date', 'ASC'))


class BillingItem(ModelSQL, ModelView):
    "A subscription period, or a group invoicing item, that was billed"
    __name__ = 'choo.billing.item'
    __string__ = "Billed Item"

    run = fields.Many2One(
        'choo.billing.run', "Billing Run", required=True,
        ondelete='RESTRICT')
    subscription = fields.Many2One(
        'sale.subscription', "Subscription", ondelete='RESTRICT')
    line = fields.Many2One(
        'sale.subscription.line', "Subscription Line", ondelete='RESTRICT')
    group_run = fields.Many2One(
        'choo.billing.run', "Group Invoicing", ondelete='RESTRICT')
    party = fields.Many2One(
        'party.party', "Payer", required=True, ondelete='RESTRICT')
    product = fields.Many2One(
        'product.product', "Product", ondelete='RESTRICT')
    period_start = fields.Date("Period Start")
    period_end = fields.Date(
        "Period End",
        domain=[
            If(Eval('period_start') & Eval('period_end'),
                ('period_end', '>=', Eval('period_start')),
                ()),
            ])
    quantity = fields.Numeric("Quantity", digits=(16, 6))
    unit_price = fields.Numeric("Unit Price", digits=(16, 4))
    amount = fields.Numeric("Amount", digits=(16, 2))
    invoice = fields.Many2One(
        'account.invoice', "Invoice", ondelete='CASCADE')
    invoice_line = fields.Many2One(
        'account.invoice.line', "Invoice Line", ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            # Each period of a subscription line is billed once.
            ('line_period_unique', Unique(t, t.line, t.period_start),
                'choo_subscription_billing.msg_billing_item_period_unique'),
            # Group invoicing bills each party once per run.
            ('group_party_unique', Unique(t, t.group_run, t.party),
                'choo_subscription_billing.msg_billing_item_group_unique'),
            ]
        cls._order = [
            ('period_start', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
