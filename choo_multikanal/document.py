from collections import defaultdict
from decimal import Decimal

from stdnum.exceptions import ValidationError as NumberError

from trytond.i18n import gettext
from trytond.modules.currency.exceptions import RateError
from trytond.pool import Pool, PoolMeta
from trytond.report import Report
from trytond.transaction import Transaction

from . import ehf, mapping, pdf
from .exceptions import (
    EhfAmountError, EhfCurrencyError, EhfIssuerError, EhfPartyError,
    EhfRuleError, EhfStateError, EhfVatError)

POSTED = {'posted', 'paid'}
NOK = 'NOK'


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    def get_ehf_document(self):
        "Return the invoice as the EHF builder describes it"
        self._check_ehf_posted()
        document = ehf.Document(
            type=self._get_ehf_type(),
            number=self.number,
            issue_date=self.invoice_date,
            supplier=self._get_ehf_supplier(),
            customer=self._get_ehf_customer(),
            lines=[self._get_ehf_line(l) for l in self.line_lines],
            due_date=self._get_ehf_due_date(),
            currency=self.currency.code,
            nok_rate=self._get_ehf_nok_rate(),
            kid=self.kid,
            prepaid=self._get_ehf_prepaid(),
            payment_terms=self._get_ehf_payment_terms(),
            posted_vat=self._get_ehf_posted_vat(),
            **self._get_ehf_billing_reference())
        self._check_ehf_total(document)
        return document

    def get_ehf(self, document=None):
        "Return the invoice, or its EHF document, as EHF XML"
        document = document or self.get_ehf_document()
        try:
            return ehf.build(document)
        except ehf.MissingEndpoint:
            raise EhfPartyError(gettext(
                    'choo_multikanal.msg_ehf_endpoint',
                    invoice=self.rec_name, party=self.party.rec_name))
        except ehf.MissingReference:
            raise EhfPartyError(gettext(
                    'choo_multikanal.msg_ehf_reference',
                    invoice=self.rec_name, party=self.party.rec_name))
        except (ehf.EhfError, NumberError) as exception:
            raise EhfRuleError(gettext(
                    'choo_multikanal.msg_ehf_invalid',
                    invoice=self.rec_name, error=str(exception)))

    def get_delivery_ehf(self, document=None):
        "Return the EHF of a posted customer invoice, None without Peppol id"
        if (self.type != 'out' or self.state not in POSTED
                or not self.party._get_organisation_number()):
            return None
        return self.get_ehf(document)

    def get_delivery_pdf(self, document=None):
        "Return the posted customer invoice as a PDF letter to its party"
        return pdf.render(
            document or self.get_ehf_document(),
            self._get_delivery_letter())

    def _get_delivery_letter(self):
        "Return how the PDF letter presents the invoice to its party"
        issuer = self.issuer
        return pdf.Letter(
            language=self._get_delivery_language(),
            member_number=self.party.member_number or None,
            avtalegiro=self._is_avtalegiro(),
            issuer_email=issuer.email or None,
            issuer_phone=issuer.phone or None,
            issuer_website=issuer.website or None,
            logo=issuer.logo or None)

    def _get_delivery_language(self):
        "Return the language of the texts the party reads, nb or en"
        lang = self.party.lang
        return mapping.letter_language(lang.code if lang else None)

    def _check_ehf_posted(self):
        "Check that the invoice is a posted customer invoice"
        if self.type != 'out' or self.state not in POSTED:
            raise EhfStateError(gettext(
                    'choo_multikanal.msg_ehf_not_posted',
                    invoice=self.rec_name))

    def _get_ehf_type(self):
        "Return the UBL document the invoice is written as"
        if self.sequence_type == 'credit_note':
            return ehf.DocumentType.CREDIT_NOTE
        return ehf.DocumentType.INVOICE

    def _get_ehf_supplier(self):
        "Return the invoice's issuer as the EHF supplier"
        issuer = self.issuer
        if not issuer:
            raise EhfIssuerError(gettext(
                    'choo_multikanal.msg_ehf_no_issuer',
                    invoice=self.rec_name))
        if not issuer.orgnr:
            raise EhfIssuerError(gettext(
                    'choo_multikanal.msg_ehf_issuer_orgnr',
                    issuer=issuer.rec_name))
        address = issuer.address or issuer.legal_entity.address_get()
        if not address:
            raise EhfIssuerError(gettext(
                    'choo_multikanal.msg_ehf_issuer_address',
                    issuer=issuer.rec_name))
        return ehf.Supplier(
            name=issuer.name,
            legal_name=issuer.legal_entity.name,
            organisation_number=issuer.orgnr,
            address=self._get_ehf_address(address),
            bank_account=issuer.kontonr,
            vat_registered=bool(issuer.vat_registered),
            foretaksregisteret=bool(issuer.enterprise_register))

    def _get_ehf_customer(self):
        "Return the invoice's party as the EHF customer"
        party = self.party
        return ehf.Customer(
            name=party.name,
            address=self._get_ehf_address(self.invoice_address),
            organisation_number=party._get_organisation_number() or None,
            vat_registered=any(
                i.type == 'no_vat' for i in party.identifiers),
            buyer_reference=self.reference or None,
            order_reference=self.purchase_order or None,
            code=party.code)

    @staticmethod
    def _get_ehf_address(address):
        "Return the party address as an EHF address"
        lines = (address.street or '').splitlines()
        return ehf.Address(
            street=lines[0] if lines else None,
            additional_street=', '.join(lines[1:]) or None,
            city=address.city or None,
            postal_code=address.postal_code or None,
            country=address.country.code if address.country else 'NO')

    def _get_ehf_line(self, line):
        "Return the invoice line as an EHF line"
        category, rate, reason = self._get_ehf_vat(line)
        name, *description = (
            line.description
            or (line.product.rec_name if line.product else '')
            or line.account.rec_name).splitlines()
        centre = line.cost_centre
        return ehf.Line(
            name=name,
            description='\n'.join(description) or None,
            quantity=Decimal(str(line.quantity)),
            unit_price=line.unit_price,
            net_amount=line.amount,
            vat_category=category,
            vat_rate=rate,
            exemption_reason=reason,
            unit_code=mapping.unit_code(
                line.unit.symbol if line.unit else None),
            period=self._get_ehf_line_period(line),
            accounting_cost=(centre.code or centre.name) if centre else None)

    def _get_ehf_vat(self, line):
        "Return the VAT category, percentage and exemption reason of line"
        issuer = self.issuer
        taxes = list(line.taxes)
        if len(taxes) > 1:
            raise EhfVatError(gettext(
                    'choo_multikanal.msg_ehf_line_taxes',
                    invoice=self.rec_name, line=line.rec_name))
        tax = taxes[0] if taxes else None
        try:
            category, rate = mapping.vat_category(
                tax.saft_code if tax else None, self._get_ehf_rate(tax),
                bool(issuer.vat_registered))
        except mapping.MissingVat:
            raise EhfVatError(gettext(
                    'choo_multikanal.msg_ehf_line_no_tax',
                    invoice=self.rec_name, line=line.rec_name,
                    issuer=issuer.rec_name))
        except mapping.VatNotRegistered:
            raise EhfVatError(gettext(
                    'choo_multikanal.msg_ehf_line_vat_not_registered',
                    invoice=self.rec_name, line=line.rec_name,
                    issuer=issuer.rec_name))
        except mapping.UnknownVatCode:
            raise EhfVatError(gettext(
                    'choo_multikanal.msg_ehf_tax_code',
                    invoice=self.rec_name, line=line.rec_name,
                    tax=tax.rec_name))
        return category, rate, self._get_ehf_exemption_reason(category, tax)

    @staticmethod
    def _get_ehf_rate(tax):
        "Return the rate of the tax as a fraction, None without tax"
        if tax is None:
            return None
        if tax.type == 'percentage':
            return tax.rate
        return Decimal(0)

    def _get_ehf_exemption_reason(self, category, tax):
        "Return why the category charges no VAT, None if the rules want none"
        if category in {ehf.VatCategory.STANDARD, ehf.VatCategory.ZERO}:
            return None
        if category == ehf.VatCategory.OUTSIDE:
            return gettext(
                'choo_multikanal.msg_ehf_outside_vat',
                self._get_delivery_language())
        return tax.legal_notice or tax.description or tax.name

    def _get_ehf_posted_vat(self):
        "Return the VAT booked per VAT category and percentage"
        vat = defaultdict(Decimal)
        for tax_line in self.taxes:
            tax = tax_line.tax
            try:
                key = mapping.vat_category(
                    tax.saft_code, self._get_ehf_rate(tax),
                    bool(self.issuer.vat_registered))
            except mapping.VatMappingError:
                continue  # its lines are refused
            vat[key] += tax_line.amount
        return dict(vat)

    def _get_ehf_line_period(self, line):
        "Return the inclusive period the line bills, or its credited line's"
        InvoiceLine = Pool().get('account.invoice.line')
        for source in [line, line.origin]:
            if (isinstance(source, InvoiceLine)
                    and source.service_start and source.service_end):
                return (source.service_start, source.service_end)

    def _get_ehf_due_date(self):
        "Return the first maturity date of the lines to pay"
        dates = [
            l.maturity_date for l in self.lines_to_pay if l.maturity_date]
        return min(dates, default=None)

    def _get_ehf_nok_rate(self):
        "Return how many NOK one unit of the invoice currency is worth"
        pool = Pool()
        Currency = pool.get('currency.currency')
        if self.currency.code == NOK:
            return None
        nok = Currency.search([('code', '=', NOK)], limit=1)
        if nok:
            with Transaction().set_context(date=self.currency_date):
                try:
                    return Currency.compute(
                        self.currency, Decimal(1), nok[0], round=False)
                except RateError:
                    pass
        raise EhfCurrencyError(gettext(
                'choo_multikanal.msg_ehf_nok_rate',
                invoice=self.rec_name, currency=self.currency.code,
                date=self.currency_date))

    def _get_ehf_prepaid(self):
        "Return what is paid of the invoice, credit applied included"
        to_pay = self.amount_to_pay
        for line in self.lines_to_pay:
            # a credit note's line that pays another invoice is spent
            if (not line.reconciliation and line.invoice_payment
                    and line.invoice_payment != self):
                to_pay -= self._get_ehf_amount(line)
        return mapping.prepaid_amount(self.total_amount, to_pay)

    def _get_ehf_amount(self, line):
        "Return the amount of the move line in the invoice currency"
        pool = Pool()
        Currency = pool.get('currency.currency')
        if line.second_currency == self.currency:
            return line.amount_second_currency
        with Transaction().set_context(date=self.currency_date):
            return Currency.compute(
                self.company.currency, line.debit - line.credit,
                self.currency)

    def _get_ehf_payment_terms(self):
        "Return the payment terms as a text for the buyer"
        if self.payment_term:
            return self.payment_term.description or self.payment_term.name

    def _get_ehf_billing_reference(self):
        "Return the number and date of the invoice a credit note credits"
        invoices = sorted(
            (i for i in self.credited_invoices if i.number),
            key=lambda i: i.number)
        if not invoices:
            return {}
        return {
            'billing_reference': invoices[0].number,
            'billing_reference_date': invoices[0].invoice_date,
            }

    def _check_ehf_total(self, document):
        "Check that the EHF comes to the total the invoice was posted with"
        totals = ehf.totals(document, ehf.vat_breakdown(document))
        total = totals.tax_inclusive * document.sign
        if total != self.total_amount:
            raise EhfAmountError(gettext(
                    'choo_multikanal.msg_ehf_total',
                    invoice=self.rec_name, ehf=total,
                    total=self.total_amount))


class InvoiceEhf(Report):
    "Customer invoices as EHF, a zip of them for several"
    __name__ = 'account.invoice.ehf'

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        invoice, = Invoice.browse([r.id for r in records])
        return 'xml', invoice.get_ehf()
