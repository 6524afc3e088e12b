"""AvtaleGiro mandates on subscriptions, read from Nets' agreement files.

An agreement names its payer by a KID, and an issuer's KID holds the
member number of the payer at a fixed place.  So a KID is tied to the
subscriptions it pays through the issuer paid into the agreement's
account whose KID rule accepts it: the member-number part of the KID
gives the party (by member number, else by party code, as the issuer
composes it), and the party's running subscriptions of that issuer, as
payer, get the mandate.  The KID is not looked up as an invoice's KID
first because a payer signs the mandate with the KID of one invoice,
and later invoices carry other KIDs with the same member number; an
invoice with exactly that KID is the fallback for KIDs of another
layout, such as those migrated from an earlier system.  A deletion ends
the mandates registered with its KID, whoever pays them now.
"""
import logging
from collections import defaultdict

from stdnum.exceptions import ValidationError

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from choo_subscription_billing import kid as kid_rule

from . import avtalegiro, bankfile
from .bank_import import describe
from .exceptions import AvtaleGiroImportError

logger = logging.getLogger(__name__)

REGISTRATION_TYPES = [
    ('active', "Active (Full List)"),
    ('new_or_changed', "New or Changed"),
    ('deleted', "Deleted"),
    ]
_COUNTS = ['agreement_count', 'registered', 'deleted', 'unknown']


def import_agreements(pool, data, company, name=None):
    "Import an agreement file and return the lines that report it"
    File = pool.get('choo.avtalegiro.file')
    Company = pool.get('company.company')
    file_ = File.import_file(data, Company(int(company)), name)
    return [
        "format: avtalegiro_agreements",
        f"transmission: {file_.transmission_number}",
        f"agreements: {file_.agreement_count}",
        f"registered: {file_.registered}",
        f"deleted: {file_.deleted}",
        f"unknown: {file_.unknown}",
        f"ended by full list: {file_.ended}",
        ]


class Subscription(metaclass=PoolMeta):
    __name__ = 'sale.subscription'

    avtalegiro = fields.Boolean(
        "AvtaleGiro", readonly=True,
        help="Whether the payer lets Nets debit the invoices of this "
        "subscription from their bank account.")
    avtalegiro_kid = fields.Char(
        "AvtaleGiro KID", readonly=True, strip=False,
        states={
            'invisible': ~Eval('avtalegiro'),
            },
        help="The KID the payer gave the mandate for.")
    avtalegiro_notify = fields.Boolean(
        "Bank Notifies Payer", readonly=True,
        states={
            'invisible': ~Eval('avtalegiro'),
            },
        help="Whether the payer wants a notice from the bank "
        "before each debit.")
    avtalegiro_since = fields.Date(
        "AvtaleGiro Since", readonly=True,
        states={
            'invisible': ~Eval('avtalegiro'),
            })
    avtalegiro_agreements = fields.Many2Many(
        'choo.avtalegiro.agreement-sale.subscription', 'subscription',
        'agreement', "AvtaleGiro Registrations", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.avtalegiro_kid, Index.Equality()),
                where=t.avtalegiro == True))  # noqa: E712

    @classmethod
    def default_avtalegiro(cls):
        return False

    @classmethod
    def default_avtalegiro_notify(cls):
        return False

    @classmethod
    def copy(cls, subscriptions, default=None):
        default = default.copy() if default is not None else {}
        for name in ['avtalegiro', 'avtalegiro_notify']:
            default.setdefault(name, False)
        for name in [
                'avtalegiro_kid', 'avtalegiro_since',
                'avtalegiro_agreements']:
            default.setdefault(name)
        return super().copy(subscriptions, default=default)

    @classmethod
    def apply_avtalegiro(cls, agreements, date):
        "Switch the mandates of the subscriptions the agreements matched"
        changed = {}
        for agreement in agreements:
            for subscription in agreement.subscriptions:
                if agreement.registration_type == 'deleted':
                    subscription._end_avtalegiro()
                else:
                    subscription._start_avtalegiro(agreement, date)
                changed[subscription.id] = subscription
        return list(changed.values())

    @classmethod
    def unlisted_avtalegiro(cls, issuers, listed):
        "Return the subscriptions with a mandate a full list left out"
        subscriptions = cls.search([
                ('issuer', 'in', [i.id for i in issuers]),
                ('avtalegiro', '=', True),
                ('id', 'not in', [s.id for s in listed]),
                ])
        for subscription in subscriptions:
            subscription._end_avtalegiro()
        return subscriptions

    def _start_avtalegiro(self, agreement, date):
        if not self.avtalegiro or self.avtalegiro_kid != agreement.kid:
            self.avtalegiro_since = date
        self.avtalegiro = True
        self.avtalegiro_kid = agreement.kid
        self.avtalegiro_notify = agreement.notify

    def _end_avtalegiro(self):
        self.avtalegiro = False
        self.avtalegiro_kid = None
        self.avtalegiro_notify = False
        self.avtalegiro_since = None


class AgreementFile(ModelSQL, ModelView):
    __name__ = 'choo.avtalegiro.file'
    __string__ = "AvtaleGiro Agreement File"
    _rec_name = 'name'

    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    name = fields.Char("Name", required=True, readonly=True)
    transmission_number = fields.Char(
        "Transmission Number", required=True, readonly=True)
    data_transmitter = fields.Char(
        "Data Transmitter", required=True, readonly=True)
    date = fields.Date("Date", readonly=True)
    sha256 = fields.Char(
        "File Fingerprint", required=True, readonly=True,
        help="The SHA-256 of the file's bytes.")
    agreements = fields.One2Many(
        'choo.avtalegiro.agreement', 'file', "Agreements", readonly=True)
    ended = fields.Integer(
        "Ended by Full List", readonly=True,
        help="The mandates switched off because a full list of active "
        "mandates left them out.")
    agreement_count = fields.Function(
        fields.Integer("Agreements"), 'get_counts')
    registered = fields.Function(fields.Integer("Registered"), 'get_counts')
    deleted = fields.Function(fields.Integer("Deleted"), 'get_counts')
    unknown = fields.Function(
        fields.Integer(
            "Unknown", help="The agreements that matched no subscription."),
        'get_counts')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.sha256, Index.Equality())),
                Index(t,
                    (t.transmission_number, Index.Equality()),
                    (t.data_transmitter, Index.Equality())),
                })
        cls._order = [('id', 'DESC')]

    @classmethod
    def get_counts(cls, files, names):
        counts = {name: {f.id: 0 for f in files} for name in _COUNTS}
        for file_ in files:
            for agreement in file_.agreements:
                counts['agreement_count'][file_.id] += 1
                counts[agreement.count_as][file_.id] += 1
        return {name: counts[name] for name in names}

    @classmethod
    def import_file(cls, data, company, name=None):
        "Import an agreement file of the company and switch its mandates"
        pool = Pool()
        Agreement = pool.get('choo.avtalegiro.agreement')
        Subscription = pool.get('sale.subscription')
        Date = pool.get('ir.date')

        parsed = cls._parse(data)
        file_ = cls._from_parsed(parsed, company, name)
        cls.check_new_file(file_)
        with Transaction().set_context(company=company.id):
            date = parsed.date or Date.today()
        Agreement.match(file_.agreements, company)

        changed = Subscription.apply_avtalegiro(file_.agreements, date)
        issuers = Agreement.full_list_issuers(file_.agreements, company)
        ended = Subscription.unlisted_avtalegiro(issuers, [
                s for a in file_.agreements if a.state == 'applied'
                for s in a.subscriptions])
        file_.ended = len(ended)
        Subscription.save(changed + ended)
        cls.save([file_])

        logger.info(
            "imported %d AvtaleGiro agreements: %d registered, "
            "%d deleted, %d unknown, %d ended by full list",
            file_.agreement_count, file_.registered, file_.deleted,
            file_.unknown, file_.ended)
        return file_

    @classmethod
    def _parse(cls, data):
        try:
            return avtalegiro.parse_agreements(data)
        except bankfile.BankFileError as exception:
            raise AvtaleGiroImportError(gettext(
                    'choo_cremul.msg_avtalegiro_file_invalid',
                    error=describe(avtalegiro, exception))) from exception

    @classmethod
    def _from_parsed(cls, parsed, company, name):
        "Return the unsaved file with its agreements"
        pool = Pool()
        Agreement = pool.get('choo.avtalegiro.agreement')
        return cls(
            company=company,
            name=name or parsed.transmission_number,
            transmission_number=parsed.transmission_number,
            data_transmitter=parsed.data_transmitter,
            date=parsed.date,
            sha256=parsed.sha256,
            ended=0,
            agreements=[
                Agreement.from_parsed(agreement, assignment)
                for assignment in parsed.assignments
                for agreement in assignment.agreements])

    @classmethod
    def check_new_file(cls, file_):
        "Refuse a file whose bytes or transmission were imported already"
        company = [('company', '=', file_.company.id)]
        if cls.search(company + [('sha256', '=', file_.sha256)], limit=1):
            raise AvtaleGiroImportError(gettext(
                    'choo_cremul.msg_avtalegiro_file_imported',
                    file=file_.name))
        if cls.search(company + [
                    ('transmission_number', '=', file_.transmission_number),
                    ('data_transmitter', '=', file_.data_transmitter),
                    ], limit=1):
            raise AvtaleGiroImportError(gettext(
                    'choo_cremul.msg_avtalegiro_transmission_imported',
                    file=file_.name, number=file_.transmission_number,
                    transmitter=file_.data_transmitter))


class Agreement(ModelSQL, ModelView):
    __name__ = 'choo.avtalegiro.agreement'
    __string__ = "AvtaleGiro Registration"
    _rec_name = 'kid'

    file = fields.Many2One(
        'choo.avtalegiro.file', "File", required=True, readonly=True,
        ondelete='CASCADE')
    line = fields.Integer("Line", readonly=True)
    assignment = fields.Char("Assignment", readonly=True)
    account = fields.Char(
        "Account", readonly=True,
        help="The payee account the mandate debits into.")
    kid = fields.Char("KID", required=True, readonly=True, strip=False)
    registration_type = fields.Selection(
        REGISTRATION_TYPES, "Registration Type", required=True,
        readonly=True)
    notify = fields.Boolean(
        "Bank Notifies Payer", readonly=True,
        help="Whether the payer wants a notice from the bank "
        "before each debit.")
    issuer = fields.Many2One('choo.issuer', "Issuer", readonly=True)
    party = fields.Many2One('party.party', "Payer", readonly=True)
    subscriptions = fields.Many2Many(
        'choo.avtalegiro.agreement-sale.subscription', 'agreement',
        'subscription', "Subscriptions", readonly=True)
    state = fields.Selection([
            ('applied', "Applied"),
            ('unknown', "Unknown"),
            ], "State", required=True, readonly=True,
        help="Whether the registration matched subscriptions.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__access__.add('file')
        cls._sql_indexes.add(Index(t, (t.kid, Index.Equality())))
        cls._order = [('file', 'DESC'), ('line', 'ASC'), ('id', 'ASC')]

    @property
    def count_as(self):
        "Return the count of the file's report the registration adds to"
        if self.state == 'unknown':
            return 'unknown'
        if self.registration_type == 'deleted':
            return 'deleted'
        return 'registered'

    @classmethod
    def from_parsed(cls, agreement, assignment):
        "Return the unsaved registration of a parsed agreement"
        return cls(
            line=agreement.line,
            assignment=assignment.number,
            account=assignment.account,
            kid=agreement.kid,
            registration_type=agreement.registration_type.name.lower(),
            notify=agreement.notify)

    @classmethod
    def full_list_issuers(cls, agreements, company):
        "Return the issuers of the accounts that sent a full list"
        accounts = {
            a.account for a in agreements
            if a.registration_type == 'active'}
        issuers = cls._issuers_by_account(company)
        return [i for a in accounts for i in issuers.get(a, [])]

    @classmethod
    def match(cls, agreements, company):
        "Tie each registration to its issuer, payer and subscriptions"
        issuers = cls._issuers_by_account(company)
        for agreement in agreements:
            agreement.issuer = next((
                    i for i in issuers.get(agreement.account, [])
                    if i.accepts_kid(agreement.kid)), None)
        payers = cls._payers(agreements)
        running = cls._running_subscriptions(payers.values())
        holders = cls._holders(agreements)

        # One instance per subscription, so that changes add up in order.
        instances = {}
        for agreement in agreements:
            key = (agreement.issuer, agreement.kid)
            agreement.party = payers.get(key)
            if agreement.registration_type == 'deleted':
                subscriptions = holders.get(key, [])
            else:
                subscriptions = running.get(
                    (agreement.issuer, agreement.party), [])
            agreement.subscriptions = subscriptions = [
                instances.setdefault(s.id, s) for s in subscriptions]
            agreement.state = 'applied' if subscriptions else 'unknown'

    @classmethod
    def _issuers_by_account(cls, company):
        "Return the issuers of the company by account number"
        pool = Pool()
        Issuer = pool.get('choo.issuer')
        issuers = defaultdict(list)
        for issuer in Issuer.search([('company', '=', company.id)]):
            issuers[issuer.kontonr].append(issuer)
        return issuers

    @classmethod
    def _payers(cls, agreements):
        "Return the payer by issuer and KID of the agreements"
        payers = cls._payers_by_member_number(agreements)
        unknown = [
            a for a in agreements
            if a.issuer and (a.issuer, a.kid) not in payers]
        payers.update(cls._payers_by_invoice(unknown))
        return payers

    @classmethod
    def _payers_by_member_number(cls, agreements):
        "Return the party whose member number is in each KID"
        pool = Pool()
        Party = pool.get('party.party')

        numbers = {}
        for agreement in agreements:
            if agreement.issuer:
                number = _member_number(agreement.issuer, agreement.kid)
                if number is not None:
                    numbers[(agreement.issuer, agreement.kid)] = number
        # The KID pads the member number, or the party's code digits.
        spellings = {
            number[i:] for number in numbers.values()
            for i in range(len(number))}
        members, codes = defaultdict(list), defaultdict(list)
        for party in Party.search(['OR',
                    ('member_number', 'in', list(spellings)),
                    [('member_number', '=', None),
                        ('code_digit', 'in', list(map(int, spellings)))],
                    ]):
            if party.member_number:
                members[int(party.member_number)].append(party)
            else:
                codes[party.code_digit].append(party)

        payers = {}
        for key, number in numbers.items():
            found = members.get(int(number)) or codes.get(int(number), [])
            if len(found) == 1:
                payers[key] = found[0]
        return payers

    @classmethod
    def _payers_by_invoice(cls, agreements):
        "Return the party of the customer invoice with exactly each KID"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        if not agreements:
            return {}
        invoices = Invoice.search([
                ('type', '=', 'out'),
                ('state', 'in', ['posted', 'paid']),
                ('kid', 'in', list({a.kid for a in agreements})),
                ('issuer', 'in', list({a.issuer.id for a in agreements})),
                ])
        return {(i.issuer, i.kid): i.party for i in invoices}

    @classmethod
    def _running_subscriptions(cls, payers):
        "Return the running subscriptions by issuer and payer"
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        ids = list({p.id for p in payers})
        subscriptions = Subscription.search([
                ('state', '=', 'running'),
                ['OR',
                    ('invoice_party', 'in', ids),
                    [('invoice_party', '=', None), ('party', 'in', ids)],
                    ],
                ])
        result = defaultdict(list)
        for subscription in subscriptions:
            result[(subscription.issuer, subscription.payer)].append(
                subscription)
        return result

    @classmethod
    def _holders(cls, agreements):
        "Return the subscriptions by issuer and KID of their mandate"
        pool = Pool()
        Subscription = pool.get('sale.subscription')
        kids = list({
                a.kid for a in agreements
                if a.registration_type == 'deleted'})
        result = defaultdict(list)
        if kids:
            for subscription in Subscription.search([
                        ('avtalegiro', '=', True),
                        ('avtalegiro_kid', 'in', kids),
                        ]):
                result[(subscription.issuer, subscription.avtalegiro_kid)
                    ].append(subscription)
        return result


class AgreementSubscription(ModelSQL):
    __name__ = 'choo.avtalegiro.agreement-sale.subscription'
    __string__ = "AvtaleGiro Registration - Subscription"

    agreement = fields.Many2One(
        'choo.avtalegiro.agreement', "Registration", required=True,
        ondelete='CASCADE')
    subscription = fields.Many2One(
        'sale.subscription', "Subscription", required=True,
        ondelete='CASCADE')


def _member_number(issuer, number):
    "Return the member-number digits of the issuer's KID, or None"
    try:
        parts = kid_rule.decompose(number, issuer._kid_layout())
    except ValidationError:
        return None
    return parts[kid_rule.MEMBER]


class ImportAgreementsStart(ModelView):
    __name__ = 'choo.avtalegiro.import.start'
    __string__ = "Import AvtaleGiro Agreements"

    company = fields.Many2One('company.company', "Company", required=True)
    file_ = fields.Binary("File", required=True, filename='file_name')
    file_name = fields.Char("File Name")

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')


class ImportAgreementsResult(ModelView):
    __name__ = 'choo.avtalegiro.import.result'
    __string__ = "Imported AvtaleGiro Agreements"

    file = fields.Many2One(
        'choo.avtalegiro.file', "File", readonly=True)
    agreement_count = fields.Integer("Agreements", readonly=True)
    registered = fields.Integer("Registered", readonly=True)
    deleted = fields.Integer("Deleted", readonly=True)
    unknown = fields.Integer("Unknown", readonly=True)
    ended = fields.Integer("Ended by Full List", readonly=True)


class ImportAgreements(Wizard):
    __name__ = 'choo.avtalegiro.import'
    __string__ = "Import AvtaleGiro Agreements"

    start = StateView(
        'choo.avtalegiro.import.start',
        'choo_cremul.avtalegiro_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Import", 'import_', 'tryton-ok', default=True),
            ])
    import_ = StateTransition()
    result = StateView(
        'choo.avtalegiro.import.result',
        'choo_cremul.avtalegiro_import_result_view_form', [
            Button("Close", 'end', 'tryton-close', default=True),
            ])

    def transition_import_(self):
        pool = Pool()
        File = pool.get('choo.avtalegiro.file')
        file_ = File.import_file(
            self.start.file_, self.start.company, self.start.file_name)
        self.result.file = file_
        return 'result'

    def default_result(self, fields):
        file_ = self.result.file
        return {
            'file': file_.id,
            'ended': file_.ended,
            **{name: getattr(file_, name) for name in _COUNTS},
            }
