"""The demo bills its members, reads a bank file and says what it did."""
from decimal import Decimal

from test_sao_invoices import rpc


def summary(output):
    "Return the key: value lines the demo printed after 'summary'"
    lines = output.split('\nsummary\n', 1)[1].splitlines()
    return dict(line.split(': ', 1) for line in lines if ': ' in line)


def test_summary_agrees_with_the_books(demo, trytond_server):
    figures = summary(demo.output)
    proxy, context = rpc(trytond_server)
    invoices = proxy.model.account.invoice.search_read(
        [('type', '=', 'out')], 0, None, None,
        ['state', 'kid', 'amount_to_pay'], context)
    origins = proxy.model.account.statement.origin.search_read(
        [], 0, None, None, ['match_state'], context)

    assert int(figures['invoices posted']) == len(invoices) >= 50
    assert all(i['kid'] for i in invoices)
    assert len({i['kid'] for i in invoices}) == len(invoices)
    paid = [i for i in invoices if i['state'] == 'paid']
    assert 0 < len(paid) < len(invoices)

    matched = [o for o in origins if o['match_state'] == 'matched']
    unmatched = [o for o in origins if o['match_state'] == 'unmatched']
    assert int(figures['payments matched']) == len(matched) >= len(paid)
    assert int(figures['payments unmatched']) == len(unmatched) > 0

    open_amount = sum(
        (Decimal(str(i['amount_to_pay'])) for i in invoices
            if i['state'] == 'posted'), Decimal(0))
    assert Decimal(figures['open receivables']) == open_amount > 0
