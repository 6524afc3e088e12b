from stdnum.exceptions import InvalidLength
from stdnum.no import iban, kontonr, mva, orgnr

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction

from . import kid
from .exceptions import (
    IssuerBankAccountError, IssuerOrgnrError, IssuerValidationError,
    KIDError)

_KID_ALGORITHMS = [
    (kid.MOD10, "MOD10 (Luhn)"),
    (kid.MOD11, "MOD11"),
    ]
_LEGAL_REQUIRED = Eval('vat_registered', False) | Eval(
    'enterprise_register', False)


class IssuerMatchMixin:
    "Match the issuer of a pattern exactly: none serves another issuer"
    __slots__ = ()

    def match(self, pattern, match_none=False):
        pattern = pattern.copy()
        if 'issuer' in pattern:
            issuer = pattern.pop('issuer')
            if (self.issuer.id if self.issuer else None) != issuer:
                return False
        return super().match(pattern, match_none=match_none)


class Issuer(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'choo.issuer'
    __string__ = "Issuer"

    name = fields.Char("Name", required=True)
    company = fields.Many2One('company.company', "Company", required=True)
    party = fields.Many2One(
        'party.party', "Legal Entity",
        context={'company': Eval('company', -1)}, depends={'company'},
        help="The party whose organisation number the invoices show.\n"
        "Leave empty to use the company's.")
    legal_entity = fields.Function(
        fields.Many2One(
            'party.party', "Legal Entity Party",
            context={'company': Eval('company', -1)}, depends={'company'}),
        'on_change_with_legal_entity')
    orgnr = fields.Char(
        "Organisation Number", states={'required': _LEGAL_REQUIRED},
        help="The legal entity's number in Enhetsregisteret (9 digits).")
    organisation_number = fields.Function(
        fields.Char("Organisation Number"), 'get_organisation_number')
    vat_registered = fields.Boolean(
        "VAT Registered",
        help="Show the organisation number as a VAT number "
        "(NO ... MVA) on invoices.")
    vat_number = fields.Function(
        fields.Char("VAT Number"), 'on_change_with_vat_number')
    enterprise_register = fields.Boolean(
        "Foretaksregisteret",
        help="Show \"Foretaksregisteret\" on invoices, "
        "as AS, ASA and other registered enterprises must.")
    address = fields.Many2One(
        'party.address', "Address", ondelete='RESTRICT',
        domain=[('party', '=', Eval('legal_entity', -1))],
        help="The sender address the invoices show.")
    logo = fields.Binary("Logo")
    email = fields.Char("E-Mail")
    phone = fields.Char("Phone")
    website = fields.Char("Website")
    journal = fields.Many2One(
        'account.journal', "Journal", required=True,
        domain=[('type', '=', 'revenue')],
        context={'company': Eval('company', -1)}, depends={'company'})
    bank_account = fields.Many2One(
        'bank.account', "Bank Account", required=True,
        help="The account members pay this issuer's invoices to.\n"
        "It must have a Norwegian account number (11 digits) or IBAN.")
    kontonr = fields.Function(
        fields.Char("Account Number"), 'get_kontonr')
    iban = fields.Function(fields.Char("IBAN"), 'get_iban')
    invoice_sequences = fields.One2Many(
        'account.fiscalyear.invoice_sequence', 'issuer',
        "Invoice Number Series",
        domain=[('company', '=', Eval('company', -1))],
        help="The issuer's own invoice and credit note series "
        "for each fiscal year.")
    kid_algorithm = fields.Selection(
        _KID_ALGORITHMS, "KID Check Digit", required=True)
    kid_member_digits = fields.Integer(
        "KID Member Digits", required=True,
        domain=[('kid_member_digits', '>=', 1)],
        help="How many digits of the KID hold the member number.")
    kid_sequence_digits = fields.Integer(
        "KID Sequence Digits", required=True,
        domain=[('kid_sequence_digits', '>=', 1)],
        help="How many digits of the KID hold the KID sequence number.")
    kid_product_digits = fields.Integer(
        "KID Product Digits", required=True,
        domain=[('kid_product_digits', '>=', 0)],
        help="How many digits of the KID hold the product's KID code.\n"
        "Leave 0 for a KID without product code.")
    kid_order = fields.Selection([
            ('member_sequence_product', "Member, Sequence, Product"),
            ('member_product_sequence', "Member, Product, Sequence"),
            ('product_member_sequence', "Product, Member, Sequence"),
            ('product_sequence_member', "Product, Sequence, Member"),
            ('sequence_member_product', "Sequence, Member, Product"),
            ('sequence_product_member', "Sequence, Product, Member"),
            ], "KID Order", required=True,
        help="The order of the parts of the KID, before the check digit.")
    kid_length = fields.Function(
        fields.Integer("KID Length"), 'on_change_with_kid_length')
    kid_sequence = fields.Many2One(
        'ir.sequence', "KID Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('choo_subscription_billing', 'sequence_type_kid')),
            ],
        help="Numbers the invoices inside the KID; never reset it.")
    kid_structures = fields.One2Many(
        'choo.issuer.kid_structure', 'issuer', "Other KID Structures",
        help="The other KID lengths the bank agreement accepts "
        "for payments, such as those of an earlier layout.")

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @classmethod
    def default_kid_algorithm(cls):
        return 'mod10'

    @classmethod
    def default_kid_member_digits(cls):
        return 7

    @classmethod
    def default_kid_sequence_digits(cls):
        return 7

    @classmethod
    def default_kid_product_digits(cls):
        return 0

    @classmethod
    def default_kid_order(cls):
        return 'member_sequence_product'

    @classmethod
    def default_vat_registered(cls):
        return False

    @classmethod
    def default_enterprise_register(cls):
        return False

    @fields.depends('party', 'company')
    def on_change_with_legal_entity(self, name=None):
        if self.party:
            return self.party
        if self.company:
            return self.company.party

    @fields.depends('party', 'orgnr')
    def on_change_party(self):
        if self.party and not self.orgnr:
            self.orgnr = self._party_orgnr(self.party)

    @staticmethod
    def _party_orgnr(party):
        "Return the organisation number of the party's identifiers"
        for identifier in party.identifiers:
            if identifier.type == 'no_orgnr':
                return orgnr.compact(identifier.code)
            if identifier.type == 'no_vat':
                # stdnum's compact form of a VAT number is <orgnr>MVA
                return mva.compact(identifier.code)[:9]

    def get_organisation_number(self, name):
        if self.orgnr:
            return orgnr.format(self.orgnr)

    @fields.depends('orgnr', 'vat_registered')
    def on_change_with_vat_number(self, name=None):
        if self.vat_registered and self.orgnr:
            return f'NO{orgnr.compact(self.orgnr)}MVA'

    def get_kontonr(self, name):
        if self.bank_account:
            return self._account_kontonr(self.bank_account)

    def get_iban(self, name):
        if self.kontonr:
            return kontonr.to_iban(self.kontonr)

    @staticmethod
    def _account_kontonr(account):
        "Return the Norwegian account number of the bank account or None"
        for number in account.numbers:
            if number.type == 'iban' and iban.is_valid(number.number):
                return iban.to_kontonr(number.number)
            if kontonr.is_valid(number.number or ''):
                return kontonr.compact(number.number)

    @fields.depends(methods=['_kid_layout'])
    def on_change_with_kid_length(self, name=None):
        return sum(width for _, width in self._kid_layout()) + 1

    @fields.depends(
        'kid_order', 'kid_member_digits', 'kid_sequence_digits',
        'kid_product_digits')
    def _kid_layout(self):
        "Return the parts of the KID with their widths, in order"
        order = kid.ORDERS[self.kid_order or self.default_kid_order()]
        return kid.layout(order, {
                kid.MEMBER: self.kid_member_digits or 0,
                kid.SEQUENCE: self.kid_sequence_digits or 0,
                kid.PRODUCT: self.kid_product_digits or 0,
                })

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('orgnr'):
            values['orgnr'] = orgnr.compact(values['orgnr'])
        return values

    @classmethod
    def validate_fields(cls, issuers, field_names):
        super().validate_fields(issuers, field_names)
        if field_names & {
                'kid_member_digits', 'kid_sequence_digits',
                'kid_product_digits'}:
            cls.check_kid_length(issuers)
        if field_names & {
                'kid_member_digits', 'kid_sequence_digits',
                'kid_product_digits', 'kid_algorithm', 'kid_structures'}:
            cls.check_kid_structures(issuers)
        if 'orgnr' in field_names:
            cls.check_orgnr(issuers)
        if 'bank_account' in field_names:
            cls.check_bank_account(issuers)

    @classmethod
    def check_orgnr(cls, issuers):
        "Check that the organisation numbers pass their check digit"
        for issuer in issuers:
            if issuer.orgnr and not orgnr.is_valid(issuer.orgnr):
                raise IssuerOrgnrError(gettext(
                        'choo_subscription_billing.msg_issuer_orgnr_invalid',
                        issuer=issuer.rec_name, orgnr=issuer.orgnr))

    @classmethod
    def check_bank_account(cls, issuers):
        "Check that each bank account has a Norwegian account number"
        for issuer in issuers:
            if not issuer.kontonr:
                raise IssuerBankAccountError(gettext(
                        'choo_subscription_billing.msg_issuer_kontonr',
                        issuer=issuer.rec_name,
                        account=issuer.bank_account.rec_name))

    @classmethod
    def check_kid_length(cls, issuers):
        "Check that the KID layout fits the length banks accept"
        for issuer in issuers:
            if not (kid.MIN_ISSUE_LENGTH <= issuer.kid_length
                    <= kid.MAX_LENGTH):
                raise IssuerValidationError(gettext(
                        'choo_subscription_billing.msg_issuer_kid_length',
                        issuer=issuer.rec_name,
                        length=issuer.kid_length,
                        minimum=kid.MIN_ISSUE_LENGTH,
                        maximum=kid.MAX_LENGTH))

    @classmethod
    def check_kid_structures(cls, issuers):
        "Check that the accepted KID structures fit one bank agreement"
        for issuer in issuers:
            try:
                kid.check_structures(issuer.accepted_kid_structures())
            except kid.TooManyStructures:
                cls._raise_kid_structures(issuer, 'msg_issuer_kid_structures')
            except kid.DuplicateLength:
                cls._raise_kid_structures(
                    issuer, 'msg_issuer_kid_structure_duplicate')
            except InvalidLength:
                cls._raise_kid_structures(
                    issuer, 'msg_issuer_kid_structure_length')

    @classmethod
    def _raise_kid_structures(cls, issuer, message):
        raise IssuerValidationError(gettext(
                f'choo_subscription_billing.{message}',
                issuer=issuer.rec_name,
                maximum=kid.MAX_STRUCTURES,
                minimum=kid.MIN_ISSUE_LENGTH,
                longest=kid.MAX_LENGTH,
                lengths=", ".join(map(str, issuer.kid_lengths))))

    def accepted_kid_structures(self):
        "Return the (length, algorithm) of each KID payments may quote"
        return [(self.on_change_with_kid_length(), self.kid_algorithm)] + [
            (s.length, s.algorithm) for s in self.kid_structures]

    @property
    def kid_lengths(self):
        "The lengths of the KIDs the issuer accepts, shortest first"
        return sorted(length for length, _ in self.accepted_kid_structures())

    def accepts_kid(self, number):
        "Return whether a payment's KID fits one of the accepted structures"
        return kid.accepts(number, self.accepted_kid_structures())

    def get_kids(self, invoices):
        "Return a new KID for each invoice, in the same order"
        values = [self._kid_values(i) for i in invoices]
        numbers = iter(self.kid_sequence.get_many(len(invoices)))
        return [self._make_kid(value, numbers) for value in values]

    def _kid_values(self, invoice):
        "Return the fixed parts of the invoice's KID by name"
        return {
            kid.MEMBER: self._kid_member_number(invoice),
            kid.PRODUCT: self._kid_product_code(invoice),
            }

    def _kid_member_number(self, invoice):
        "Return the digits that identify the payer in the KID"
        party = invoice.party
        number = str(party.member_number or party.code_digit or '')
        if (not number.isdigit()
                or len(number) > self.kid_member_digits):
            raise KIDError(gettext(
                    'choo_subscription_billing.msg_kid_member_number',
                    party=party.rec_name,
                    issuer=self.rec_name,
                    digits=self.kid_member_digits))
        return int(number)

    def _kid_product_code(self, invoice):
        "Return the KID code of the invoice's products, or 0 when mixed"
        codes = {
            line.product.template.kid_code for line in invoice.lines
            if line.product and line.product.template.kid_code}
        if not self.kid_product_digits or len(codes) != 1:
            return 0
        code, = codes
        if len(code) > self.kid_product_digits:
            raise KIDError(gettext(
                    'choo_subscription_billing.msg_kid_product_code',
                    code=code, issuer=self.rec_name,
                    digits=self.kid_product_digits))
        return code

    def _make_kid(self, values, numbers):
        "Return the KID of values with the next usable sequence number"
        layout = self._kid_layout()
        while True:
            number = int(next(numbers, None) or self.kid_sequence.get())
            if len(str(number)) > self.kid_sequence_digits:
                raise KIDError(gettext(
                        'choo_subscription_billing.msg_kid_sequence_full',
                        issuer=self.rec_name,
                        digits=self.kid_sequence_digits))
            try:
                return kid.compose(
                    {**values, kid.SEQUENCE: number}, layout,
                    algorithm=self.kid_algorithm)
            except kid.UnusableCheckDigit:
                continue

    @classmethod
    def find(cls, company):
        "Return the only active issuer of the company, or None"
        issuers = cls.search([('company', '=', company)], limit=2)
        if len(issuers) == 1:
            return issuers[0]

    @classmethod
    def default_id(cls):
        "Return the id of the only issuer of the context company, or None"
        company = Transaction().context.get('company')
        if company and (issuer := cls.find(company)):
            return issuer.id


class IssuerKIDStructure(ModelSQL, ModelView):
    __name__ = 'choo.issuer.kid_structure'
    __string__ = "Issuer KID Structure"

    issuer = fields.Many2One(
        'choo.issuer', "Issuer", required=True, ondelete='CASCADE')
    length = fields.Integer(
        "Length", required=True,
        help="The number of characters of the KID, check digit included.")
    algorithm = fields.Selection(
        _KID_ALGORITHMS, "Check Digit", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('issuer')

    @classmethod
    def default_algorithm(cls):
        return kid.MOD10

    @classmethod
    def validate_fields(cls, structures, field_names):
        pool = Pool()
        Issuer = pool.get('choo.issuer')
        super().validate_fields(structures, field_names)
        Issuer.check_kid_structures(
            Issuer.browse({s.issuer.id for s in structures}))
