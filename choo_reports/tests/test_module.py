import datetime as dt
from decimal import Decimal

from trytond.modules.account.tests import create_chart, get_fiscalyear
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from choo_reports import aging

DATE = dt.date(2024, 12, 31)
# Days past maturity at DATE and the amount of the line, a power of two so
# that every bucket's sum says which lines it holds; None: no maturity.
LINES = [
    (-1, 1), (0, 2), (1, 4), (30, 8), (31, 16), (60, 32), (61, 64),
    (90, 128), (91, 256), (None, 512)]


class ReportsTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo Reports module"
    module = 'choo_reports'

    @with_transaction()
    def test_receivables_aged_per_party(self):
        "Test open receivables are aged per party at the context date"
        pool = Pool()
        Receivable = pool.get('choo.receivable.party')

        company = create_company()
        with set_company(company):
            member, club = _create_receivables(company)
            with Transaction().set_context(date=DATE):
                rows = Receivable.search([])
                self.assertEqual([r.party for r in rows], [club, member])
                club_row, member_row = rows

                self.assertEqual(member_row.company, company)
                self.assertEqual(member_row.currency, company.currency)
                self.assertEqual(_amounts(member_row), {
                        'open_amount': Decimal(1023),
                        'overdue_amount': Decimal(1020),
                        'not_due': Decimal(3),
                        'overdue_1_30': Decimal(12),
                        'overdue_31_60': Decimal(48),
                        'overdue_61_90': Decimal(192),
                        'overdue_over_90': Decimal(768),
                        })
                self.assertEqual(club_row.open_amount, Decimal(70))
                self.assertEqual(club_row.not_due, Decimal(70))

            with Transaction().set_context(date=DATE + dt.timedelta(1)):
                member_row, = Receivable.search([('party', '=', member)])
                self.assertEqual(member_row.not_due, Decimal(1))
                self.assertEqual(member_row.overdue_1_30, Decimal(6))

    @with_transaction()
    def test_receivables_buckets_match_pure_aging(self):
        "Test each line lands in the bucket the aging helper names"
        pool = Pool()
        Receivable = pool.get('choo.receivable.party')

        company = create_company()
        with set_company(company):
            member, _ = _create_receivables(company)
            with Transaction().set_context(date=DATE):
                row, = Receivable.search([('party', '=', member)])
                expected = dict.fromkeys(
                    (b.name for b in aging.BUCKETS), Decimal(0))
                for maturity_date, amount in _maturities():
                    name = aging.bucket_of(maturity_date, DATE).name
                    expected[name] += amount
                self.assertEqual(
                    {n: getattr(row, n) for n in expected}, expected)

    @with_transaction()
    def test_receivables_per_company(self):
        "Test the company total sums the open receivables of its parties"
        pool = Pool()
        Total = pool.get('choo.receivable.total')

        company = create_company()
        with set_company(company):
            _create_receivables(company)
            with Transaction().set_context(date=DATE):
                total, = Total.search([])
            self.assertEqual(total.id, company.id)
            self.assertEqual(total.company, company)
            self.assertEqual(total.open_amount, Decimal(1093))
            self.assertEqual(total.overdue_amount, Decimal(1020))
            self.assertEqual(total.not_due, Decimal(73))
            self.assertEqual(
                Total.get_open_receivables(company), Decimal('1093.00'))

    @with_transaction()
    def test_open_receivables_without_moves(self):
        "Test a company without receivables has nothing open"
        pool = Pool()
        Total = pool.get('choo.receivable.total')

        company = create_company()
        with set_company(company):
            self.assertEqual(Total.search([]), [])
            self.assertEqual(
                Total.get_open_receivables(company), Decimal('0.00'))


def _maturities():
    move_date = _move_date()
    for days, amount in LINES:
        if days is None:
            yield move_date, Decimal(amount)
        else:
            yield DATE - dt.timedelta(days), Decimal(amount)


def _move_date():
    return DATE.replace(month=1, day=15)


def _amounts(row):
    return {n: getattr(row, n) for n in [
            'open_amount', 'overdue_amount', 'not_due', 'overdue_1_30',
            'overdue_31_60', 'overdue_61_90', 'overdue_over_90']}


def _create_receivables(company):
    """Create open, settled, draft and non-receivable lines.

    The member owes every line of LINES; the club owes 70 not yet due,
    and its settled invoice, draft move and revenue lines are not open.
    """
    pool = Pool()
    Account = pool.get('account.account')
    FiscalYear = pool.get('account.fiscalyear')
    Journal = pool.get('account.journal')
    Move = pool.get('account.move')
    MoveLine = pool.get('account.move.line')
    Party = pool.get('party.party')

    create_chart(company)
    fiscalyear = get_fiscalyear(company, today=DATE)
    fiscalyear.save()
    FiscalYear.create_period([fiscalyear])
    journal, = Journal.search([('code', '=', 'REV')])
    receivable, = Account.search([
            ('type.receivable', '=', True), ('closed', '=', False),
            ], limit=1)
    revenue, = Account.search([
            ('type.revenue', '=', True), ('closed', '=', False),
            ], limit=1)
    cash, = Account.search([('code', '=', '1.1.1')])
    member, club = Party.create([{'name': "Member"}, {'name': "Club"}])

    def move(party, amount, maturity_date=None, counterpart=revenue):
        return Move(
            period=fiscalyear.periods[0], journal=journal,
            date=_move_date(), lines=[
                MoveLine(account=counterpart, credit=amount),
                MoveLine(
                    account=receivable, debit=amount, party=party,
                    maturity_date=maturity_date),
                ])

    moves = [move(member, amount, maturity_date)
        for maturity_date, amount in _maturities()]
    moves.append(move(club, Decimal(70), DATE))
    settled = move(club, Decimal(100), DATE - dt.timedelta(10))
    payment = Move(
        period=fiscalyear.periods[0], journal=journal, date=_move_date(),
        lines=[
            MoveLine(account=cash, debit=Decimal(100)),
            MoveLine(account=receivable, credit=Decimal(100), party=club),
            ])
    Move.save(moves + [settled, payment])
    Move.post(moves + [settled, payment])
    MoveLine.reconcile([
            l for m in [settled, payment] for l in m.lines
            if l.account == receivable])

    draft = move(club, Decimal(40), DATE - dt.timedelta(5))
    draft.save()
    return member, club


del ModuleTestCase
