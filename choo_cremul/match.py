"""Tie imported payments to the invoices and parties they pay, in bulk.

The payments of a file are looked up together: one search for every
KID they quote (exactly, in their text or with lost zeros given back),
one for the invoice numbers and one for the payers' accounts.  Then
each payment takes the first of, in this order: the invoice with its
exact KID, with its invoice number, the one open invoice whose KID its
text holds, the party who owns the account it came from.  Invoices
paid twice in one file are settled once: what the first payment leaves
to pay is what the second one sees.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from trytond import backend
from trytond.pool import Pool
from trytond.tools import grouped_slice

from .matching import Method, account_forms, padded_kids, text_kids


@dataclass
class Match:
    "What one payment pays, or may pay"
    method: Method | None = None
    invoice: object = None
    party: object = None
    suggestions: list = field(default_factory=list)


class PaymentMatcher:
    "Match the statement origins of one company"

    def __init__(self, company, origins):
        self.company = company
        self.origins = origins
        self._issuers = {}
        self._lengths_by_journal = {}
        self._by_kid = {}
        self._by_number = {}
        self._by_account = {}
        self._open_by_party = defaultdict(list)
        self._states = {}
        self.to_pay = {}

    def issuers(self, journal):
        "Return the issuers paid into the statement journal's account"
        if journal not in self._issuers:
            Issuer = Pool().get('choo.issuer')
            domain = [('company', '=', self.company.id)]
            if journal.bank_account:
                domain.append(('bank_account', '=', journal.bank_account.id))
            self._issuers[journal] = Issuer.search(domain)
        return self._issuers[journal]

    def load(self):
        "Look up at once everything the payments may refer to"
        kids, numbers, accounts = set(), set(), set()
        for origin in self.origins:
            lengths = self._lengths(origin)
            if origin.kid:
                kids.add(origin.kid)
                kids.update(padded_kids(origin.kid, lengths))
            kids.update(text_kids(self._text(origin), lengths))
            if origin.invoice_number:
                numbers.add(origin.invoice_number)
            if origin.payer_account:
                accounts.update(account_forms(origin.payer_account))
        for invoice, row in self._search_invoices('kid', kids):
            self._by_kid.setdefault((row['issuer'], row['kid']), invoice)
        for invoice, row in self._search_invoices('number', numbers):
            self._by_number.setdefault(row['number'], []).append(
                (invoice, row['issuer']))
        self._by_account = self._owners(accounts)
        for invoice, row in self._search_invoices(
                'party', {p.id for p in self._by_account.values()},
                states=['posted']):
            self._open_by_party[row['party']].append(invoice)

    def match(self, origin):
        "Return the Match of origin"
        issuers = self.issuers(origin.statement.journal)
        match = (
            self._match_kid(origin, issuers)
            or self._match_number(origin, issuers)
            or self._match_text(origin, issuers)
            or self._match_account(origin)
            or Match(suggestions=self._suggest(origin, issuers)))
        if match.invoice and origin.amount <= 0:
            # Reopening what a reversal takes back is the accountant's call
            return Match(suggestions=[match.invoice])
        return match

    def amount_to_pay(self, invoice):
        "Return what is left to pay on invoice after the payments matched"
        if invoice not in self.to_pay:
            self.to_pay[invoice] = (
                invoice.amount_to_pay if invoice.state == 'posted'
                else Decimal(0))
        return self.to_pay[invoice]

    def _open(self, invoice):
        return self._states[invoice] == 'posted'

    def settle(self, invoice, amount):
        "Record that amount of the payments went to invoice"
        self.to_pay[invoice] = self.amount_to_pay(invoice) - amount

    def _match_kid(self, origin, issuers):
        if not origin.kid:
            return
        for issuer in issuers:
            invoice = self._by_kid.get((issuer.id, origin.kid))
            if invoice and issuer.kid_has_check(origin.kid):
                return Match(Method.KID, invoice, invoice.party)

    def _match_number(self, origin, issuers):
        ids = {i.id for i in issuers}
        invoices = [
            i for i, issuer in self._by_number.get(origin.invoice_number, [])
            if issuer in ids]
        if len(invoices) == 1:
            invoice, = invoices
            return Match(Method.INVOICE_NUMBER, invoice, invoice.party)

    def _match_text(self, origin, issuers):
        found = {
            invoice for number in text_kids(
                self._text(origin), self._lengths(origin))
            for issuer in issuers
            if issuer.kid_has_check(number)
            and (invoice := self._by_kid.get((issuer.id, number)))
            and self._open(invoice)}
        if len(found) == 1:
            invoice, = found
            return Match(Method.TEXT, invoice, invoice.party)

    def _match_account(self, origin):
        party = None
        for number in account_forms(origin.payer_account or ''):
            party = party or self._by_account.get(number)
        if not party:
            return
        exact = [
            i for i in self._open_by_party[party.id]
            if self.amount_to_pay(i) == origin.amount]
        if len(exact) == 1:
            return Match(Method.PAYER_ACCOUNT, exact[0], party)
        return Match(
            Method.PAYER_ACCOUNT, party=party,
            suggestions=list(self._open_by_party[party.id]))

    def _suggest(self, origin, issuers):
        "Return the invoices an accountant may confirm for origin"
        suggestions = []
        for number in padded_kids(origin.kid or '', self._lengths(origin)):
            for issuer in issuers:
                invoice = self._by_kid.get((issuer.id, number))
                if invoice and self._open(invoice):
                    suggestions.append(invoice)
        return suggestions

    def _lengths(self, origin):
        "Return the KID lengths of the issuers paid into origin's journal"
        journal = origin.statement.journal
        if journal not in self._lengths_by_journal:
            self._lengths_by_journal[journal] = {
                n for i in self.issuers(journal) for n in i.kid_lengths}
        return self._lengths_by_journal[journal]

    @staticmethod
    def _text(origin):
        return origin.text or ''

    def _search_invoices(self, name, values, states=('posted', 'paid')):
        """Yield the customer invoices whose name is one of values

        Each invoice comes with the row of what matching reads of it, and
        is a record of its own: thousands of records sharing one cache
        make Tryton look through all of them at each field it reads.
        """
        Invoice = Pool().get('account.invoice')
        for sub_values in grouped_slice(
                sorted(values), backend.MAX_QUERY_PARAMS):
            for row in Invoice.search_read([
                        ('company', '=', self.company.id),
                        ('type', '=', 'out'),
                        ('state', 'in', list(states)),
                        (name, 'in', list(sub_values)),
                        ], order=[('invoice_date', 'ASC'), ('id', 'ASC')],
                    fields_names=[
                        'kid', 'number', 'issuer', 'party', 'state',
                        'amount_to_pay']):
                invoice = Invoice(row['id'])
                self._states[invoice] = row['state']
                self.to_pay.setdefault(
                    invoice, row['amount_to_pay']
                    if row['state'] == 'posted' else Decimal(0))
                yield invoice, row

    def _owners(self, accounts):
        "Return the party owning each account number, if only one does"
        Number = Pool().get('bank.account.number')
        owners = defaultdict(set)
        for sub_accounts in grouped_slice(
                sorted(accounts), backend.MAX_QUERY_PARAMS):
            sub_accounts = list(sub_accounts)
            for number in Number.search(['OR',
                        ('number_compact', 'in', sub_accounts),
                        ('number', 'in', sub_accounts),
                        ]):
                for form in {number.number, number.number_compact} - {None}:
                    owners[form].update(number.account.owners)
        return {
            account: next(iter(parties))
            for account, parties in owners.items() if len(parties) == 1}
