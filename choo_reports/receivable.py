"""Open receivables per party and per company, aged at a date."""
from decimal import Decimal

from sql import Column, Null
from sql.aggregate import Min, Sum
from sql.conditionals import Coalesce
from sql.operators import And

from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.currency.fields import Monetary
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import aging

AMOUNTS = ['open_amount', 'overdue_amount'] + [
    bucket.name for bucket in aging.BUCKETS]


class ReceivableContext(ModelView):
    __name__ = 'choo.receivable.context'
    __string__ = "Receivables Context"

    date = fields.Date(
        "Date", required=True,
        help="The date the open items are aged at.")

    @classmethod
    def default_date(cls):
        return Pool().get('ir.date').today()


class ReceivableMixin:
    __slots__ = ()

    company = fields.Many2One('company.company', "Company", readonly=True)
    currency = fields.Many2One(
        'currency.currency', "Currency", readonly=True)
    open_amount = Monetary(
        "Open", currency='currency', digits='currency', readonly=True,
        help="What is still to be paid.")
    overdue_amount = Monetary(
        "Overdue", currency='currency', digits='currency', readonly=True,
        help="What is still to be paid and past its maturity date.")
    not_due = Monetary(
        "Not Due", currency='currency', digits='currency', readonly=True)
    overdue_1_30 = Monetary(
        "1-30 Days", currency='currency', digits='currency', readonly=True,
        help="Overdue by 1 to 30 days.")
    overdue_31_60 = Monetary(
        "31-60 Days", currency='currency', digits='currency',
        readonly=True, help="Overdue by 31 to 60 days.")
    overdue_61_90 = Monetary(
        "61-90 Days", currency='currency', digits='currency',
        readonly=True, help="Overdue by 61 to 90 days.")
    overdue_over_90 = Monetary(
        "Over 90 Days", currency='currency', digits='currency',
        readonly=True, help="Overdue by more than 90 days.")

    @classmethod
    def _aging_date(cls):
        "Return the date the open items are aged at"
        return (Transaction().context.get('date')
            or Pool().get('ir.date').today())


class ReceivableParty(ReceivableMixin, ModelSQL, ModelView):
    __name__ = 'choo.receivable.party'
    __string__ = "Receivables per Party"

    party = fields.Many2One(
        'party.party', "Party", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('party', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Account = pool.get('account.account')
        AccountType = pool.get('account.account.type')
        Company = pool.get('company.company')
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        line = MoveLine.__table__()
        move = Move.__table__()
        account = Account.__table__()
        account_type = AccountType.__table__()
        company = Company.__table__()

        amount = line.debit - line.credit
        maturity_date = Coalesce(line.maturity_date, move.date)
        columns = [
            Min(line.id).as_('id'),
            line.party.as_('party'),
            move.company.as_('company'),
            company.currency.as_('currency'),
            Sum(amount).as_('open_amount'),
            ] + cls._aging_columns(amount, maturity_date, cls._aging_date())

        return (line
            .join(move, condition=line.move == move.id)
            .join(account, condition=line.account == account.id)
            .join(account_type, condition=account.type == account_type.id)
            .join(company, condition=move.company == company.id)
            .select(*columns,
                where=(account_type.receivable
                    & (line.reconciliation == Null)
                    & (move.state == 'posted')),
                group_by=[line.party, move.company, company.currency]))

    @classmethod
    def _aging_columns(cls, amount, maturity_date, date):
        "Return the sums of amount overdue and in each bucket at date"
        columns = [_sum_if(amount, maturity_date < date).as_(
                'overdue_amount')]
        for bucket in aging.BUCKETS:
            earliest, latest = aging.maturity_range(bucket, date)
            conditions = []
            if earliest is not None:
                conditions.append(maturity_date >= earliest)
            if latest is not None:
                conditions.append(maturity_date <= latest)
            columns.append(
                _sum_if(amount, And(conditions)).as_(bucket.name))
        return columns


class ReceivableTotal(ReceivableMixin, ModelSQL, ModelView):
    __name__ = 'choo.receivable.total'
    __string__ = "Receivables per Company"

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('company', 'ASC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        ReceivableParty = pool.get('choo.receivable.party')
        party = ReceivableParty.table_query()
        columns = [
            party.company.as_('id'),
            party.company.as_('company'),
            party.currency.as_('currency'),
            ] + [Sum(Column(party, name)).as_(name) for name in AMOUNTS]
        return party.select(
            *columns, group_by=[party.company, party.currency])

    @classmethod
    def get_open_receivables(cls, company):
        "Return the amount the company's customers still have to pay"
        totals = cls.search([('company', '=', company.id)])
        amount = sum((t.open_amount for t in totals), Decimal(0))
        return company.currency.round(amount)


def _sum_if(amount, condition):
    return Coalesce(Sum(amount, filter_=condition), Decimal(0))
