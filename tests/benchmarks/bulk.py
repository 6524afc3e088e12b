"""Members and subscriptions by the thousand, for the benchmarks.

setup/demo_data.py builds the association as a user would, through
proteus, which costs about 0.2 s a member.  Here the members, their
memberships and their subscriptions are created with Tryton's class
methods over lists inside the server, so that 100 000 of them take
minutes, not hours.  Each function runs in a transaction of its own.
"""
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'setup'))

from demo_data import CITIES, FIRST_NAMES, LAST_NAMES  # noqa: E402

CHUNK = 2000


def transaction(database):
    "Return a transaction of database as admin, in the admin's company"
    from choo.cli import admin_context
    from trytond.transaction import Transaction

    _init(database)
    user, context = admin_context(database)
    return Transaction().start(database, user, context=context)


def committed(database, func):
    """Return func() run and committed in a transaction of database as admin

    It starts again with the locks that Tryton asks for, as trytond does
    for a request, so func must be safe to repeat.
    """
    from choo import cli

    _init(database)
    user, context = cli.admin_context(database)
    result, _ = cli.committed(database, user, context, func)
    return result


def _init(database):
    "Load the modules of database once in this process"
    from trytond.pool import Pool
    if database not in Pool.database_list():
        Pool(database).init()


def add_members(database, count, start, stock=False, seed=2026):
    """Create count members with a yearly dues subscription from start.

    With stock, the subscriptions are invoiced by sale_subscription's own
    invoice and consumption recurrences instead of billing runs.
    """
    from trytond.pool import Pool

    chance = random.Random(seed + int(stock))
    with transaction(database) as tx:
        pool = Pool()
        dues = _dues(pool)
        recurrence = _yearly_recurrence(pool, start) if stock else None
        if stock:
            _recur(pool, dues, recurrence)
        for offset in range(0, count, CHUNK):
            size = min(CHUNK, count - offset)
            parties = _parties(pool, chance, size)
            _memberships(pool, parties, dues, start)
            _subscriptions(pool, parties, dues, start, recurrence)
        tx.commit()


def _dues(pool):
    "Return the ordinary dues service and its membership type"
    Service = pool.get('sale.subscription.service')
    Type = pool.get('choo.membership.type')
    type_, = Type.search([('name', '=', "Ordinary")])
    service, = Service.search([('product', '=', type_.product.id)])
    return type_, service


def _yearly_recurrence(pool, start):
    "Return a recurrence rule set of one year from start"
    RuleSet = pool.get('sale.subscription.recurrence.rule.set')
    rule_set, = RuleSet.create([{
                'name': "Årlig",
                'rules': [('create', [{
                                'freq': 'yearly',
                                'interval': 1,
                                }])],
                }])
    return rule_set


def _recur(pool, dues, recurrence):
    "Let the dues service be consumed by sale_subscription's recurrence"
    Service = pool.get('sale.subscription.service')
    _, service = dues
    Service.write([service], {'consumption_recurrence': recurrence.id})


def _parties(pool, chance, size):
    Party = pool.get('party.party')
    vlist = []
    for _ in range(size):
        postal_code, city = chance.choice(CITIES)
        vlist.append({
                'name': (f"{chance.choice(FIRST_NAMES)} "
                    f"{chance.choice(LAST_NAMES)}"),
                'addresses': [('create', [{
                                'street': "Medlemsveien 1",
                                'postal_code': postal_code,
                                'city': city,
                                }])],
                })
    return Party.create(vlist)


def _memberships(pool, parties, dues, start):
    Membership = pool.get('choo.membership')
    type_, _ = dues
    Membership.create([{
                'party': p.id, 'type': type_.id, 'start_date': start,
                } for p in parties])


def _subscriptions(pool, parties, dues, start, recurrence):
    PaymentTerm = pool.get('account.invoice.payment_term')
    Subscription = pool.get('sale.subscription')
    _, service = dues
    term, = PaymentTerm.search([], limit=1)
    values = {
        'start_date': start,
        'payment_term': term.id,
        }
    if recurrence:
        values['invoice_recurrence'] = recurrence.id
    else:
        values['interval'] = 'yearly'
    subscriptions = Subscription.create([{
                **values,
                'party': p.id,
                'invoice_address': p.addresses[0].id,
                'lines': [('create', [{
                                'service': service.id,
                                'quantity': 1,
                                'consumption_recurrence': (
                                    service.consumption_recurrence.id
                                    if recurrence else None),
                                'unit': service.product.default_uom.id,
                                'unit_price': service.product.list_price_used,
                                'start_date': start,
                                }])],
                } for p in parties])
    Subscription.quote(subscriptions)
    Subscription.run(subscriptions)

