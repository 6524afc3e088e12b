from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction

from . import kid
from .exceptions import IssuerValidationError, KIDError


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
    journal = fields.Many2One(
        'account.journal', "Journal", required=True,
        domain=[('type', '=', 'revenue')],
        context={'company': Eval('company', -1)}, depends={'company'})
    bank_account = fields.Many2One(
        'bank.account', "Bank Account", required=True,
        help="The account members pay this issuer's invoices to.")
    invoice_sequences = fields.One2Many(
        'account.fiscalyear.invoice_sequence', 'issuer',
        "Invoice Number Series",
        domain=[('company', '=', Eval('company', -1))],
        help="The issuer's own invoice and credit note series "
        "for each fiscal year.")
    kid_algorithm = fields.Selection([
            ('mod10', "MOD10 (Luhn)"),
            ('mod11', "MOD11"),
            ], "KID Check Digit", required=True)
    kid_member_digits = fields.Integer(
        "KID Member Digits", required=True,
        domain=[('kid_member_digits', '>=', 1)],
        help="How many digits of the KID hold the member number.")
    kid_sequence_digits = fields.Integer(
        "KID Sequence Digits", required=True,
        domain=[('kid_sequence_digits', '>=', 1)],
        help="How many digits of the KID hold the KID sequence number.")
    kid_length = fields.Function(
        fields.Integer("KID Length"), 'on_change_with_kid_length')
    kid_sequence = fields.Many2One(
        'ir.sequence', "KID Sequence", required=True,
        domain=[
            ('sequence_type', '=',
                Id('choo_subscription_billing', 'sequence_type_kid')),
            ],
        help="Numbers the invoices inside the KID; never reset it.")

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

    @fields.depends('kid_member_digits', 'kid_sequence_digits')
    def on_change_with_kid_length(self, name=None):
        return (self.kid_member_digits or 0) + (
            self.kid_sequence_digits or 0) + 1

    @classmethod
    def validate_fields(cls, issuers, field_names):
        super().validate_fields(issuers, field_names)
        if field_names & {'kid_member_digits', 'kid_sequence_digits'}:
            cls.check_kid_length(issuers)

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

    def get_kids(self, invoices):
        "Return a new KID for each invoice, in the same order"
        members = [self._kid_member_number(i) for i in invoices]
        numbers = iter(self.kid_sequence.get_many(len(invoices)))
        return [self._make_kid(member, numbers) for member in members]

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

    def _make_kid(self, member, numbers):
        "Return the KID of member with the next usable sequence number"
        while True:
            number = int(next(numbers, None) or self.kid_sequence.get())
            if len(str(number)) > self.kid_sequence_digits:
                raise KIDError(gettext(
                        'choo_subscription_billing.msg_kid_sequence_full',
                        issuer=self.rec_name,
                        digits=self.kid_sequence_digits))
            try:
                return kid.build(
                    [(member, self.kid_member_digits),
                        (number, self.kid_sequence_digits)],
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
