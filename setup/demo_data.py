"""The demo association, built through proteus as a user would."""
import random
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from proteus import Model, Wizard, config

from choo_cremul import ocr

BANK_ACCOUNT = '99991000018'
ORGNR = '923456783'
FIRST_NAMES = [
    "Kari", "Ola", "Ingrid", "Lars", "Sigrid", "Per", "Astrid", "Knut",
    "Solveig", "Bjørn", "Ragnhild", "Tor", "Marit", "Håkon", "Liv",
    "Even", "Åse", "Øystein", "Nora", "Jonas"]
LAST_NAMES = [
    "Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen",
    "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen", "Haugen",
    "Berg", "Dahl", "Lie", "Bakken", "Strand", "Solberg", "Aas", "Lunde"]
CITIES = [
    ("0150", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim"),
    ("4006", "Stavanger"), ("9008", "Tromsø"), ("2317", "Hamar")]
DUES = [("Ordinary", "Medlemskontingent", Decimal('750')),
    ("Student", "Medlemskontingent student", Decimal('350'))]


class Association:
    "Eksempelforeningen: one company, its books, issuer and members"

    def __init__(self, today):
        self.today = today
        self.year_start = today.replace(month=1, day=1)
        # The members' dues year starts on the first of this month.
        self.dues_start = today.replace(day=1)
        self.random = random.Random(2026)

    def build(self, n_members):
        self.company = self.create_company()
        self.create_chart()
        self.fiscalyear = self.create_fiscalyear()
        self.issuer = self.create_issuer()
        self.create_statement_journal()
        services = self.create_dues()
        self.create_members(n_members, services)
        self.close_configuration_wizard()

    def add_members(self, n_members):
        "Add members to the association that an earlier build created"
        MembershipType = Model.get('choo.membership.type')
        PaymentTerm = Model.get('account.invoice.payment_term')
        Service = Model.get('sale.subscription.service')

        self.payment_term, = PaymentTerm.find([])
        services = {}
        for type_ in MembershipType.find([], order=[('id', 'ASC')]):
            services[type_], = Service.find(
                [('product', '=', type_.product.id)])
        self.create_members(n_members, services)

    def create_company(self):
        "Create the association as the company, keeping its books in NOK"
        Company = Model.get('company.company')
        Currency = Model.get('currency.currency')
        Party = Model.get('party.party')
        User = Model.get('res.user')

        nok = Currency(name="Norsk krone", code='NOK', symbol="kr",
            numeric_code='578', rounding=Decimal('0.01'), digits=2)
        nok.save()
        party = Party(name="Eksempelforeningen")
        address, = party.addresses
        address.street = "Storgata 1"
        address.postal_code, address.city = "0155", "Oslo"
        party.identifiers.new(type='no_orgnr', code=ORGNR)
        party.save()
        company = Company(party=party, currency=nok)
        company.save()
        admin, = User.find([('login', '=', 'admin')])
        admin.companies.append(company)
        admin.company = company
        admin.save()
        proteus = config.get_config()
        proteus._context = User.get_preferences(True, proteus.context)
        return company

    def create_chart(self):
        "Create the accounts and taxes from the NS 4102 template"
        AccountTemplate = Model.get('account.account.template')
        Account = Model.get('account.account')

        template, = AccountTemplate.find([
                ('parent', '=', None),
                ('name', 'ilike', '%NS 4102%')])
        wizard = Wizard('account.create_chart')
        wizard.execute('account')
        wizard.form.account_template = template
        wizard.form.company = self.company
        wizard.execute('create_account')
        wizard.form.account_receivable, = Account.find(
            [('code', '=', '1500')])
        wizard.form.account_payable, = Account.find(
            [('code', '=', '2400')])
        wizard.execute('create_properties')

    def create_fiscalyear(self):
        "Open the current year with monthly periods and invoice numbers"
        FiscalYear = Model.get('account.fiscalyear')
        Sequence = Model.get('ir.sequence.strict')
        SequenceType = Model.get('ir.sequence.type')

        year = self.today.year
        move_type, = SequenceType.find([('name', '=', "Account Move")])
        invoice_type, = SequenceType.find([('name', '=', "Invoice")])
        fiscalyear = FiscalYear(name=str(year), company=self.company)
        fiscalyear.start_date = self.year_start
        fiscalyear.end_date = self.year_start.replace(month=12, day=31)
        fiscalyear.move_sequence = Sequence(
            name=f"Bilag {year}", sequence_type=move_type,
            company=self.company)
        fiscalyear.move_sequence.save()
        series = Sequence(
            name=f"Faktura {year}", sequence_type=invoice_type,
            company=self.company, prefix=f'{year}-', padding=5)
        series.save()
        invoice_sequence, = fiscalyear.invoice_sequences
        for name in ['out_invoice', 'out_credit_note', 'in_invoice',
                'in_credit_note']:
            setattr(invoice_sequence, f'{name}_sequence', series)
        fiscalyear.save()
        fiscalyear.click('create_period')
        return fiscalyear

    def create_issuer(self):
        "Create the issuer with its bank account, series and KID rule"
        Bank = Model.get('bank')
        BankAccount = Model.get('bank.account')
        Issuer = Model.get('choo.issuer')
        Journal = Model.get('account.journal')
        Party = Model.get('party.party')
        Sequence = Model.get('ir.sequence')
        SequenceType = Model.get('ir.sequence.type')

        bank = Bank(party=Party(name="Eksempelbanken ASA"))
        bank.party.save()
        bank.save()
        account = BankAccount(bank=bank)
        account.owners.append(Party(self.company.party.id))
        account.numbers.new(type='other', number=BANK_ACCOUNT)
        account.save()
        kid_type, = SequenceType.find([('name', '=', "KID")])
        kid_sequence = Sequence(
            name="KID Eksempelforeningen", sequence_type=kid_type,
            company=self.company)
        kid_sequence.save()
        issuer = Issuer(name="Eksempelforeningen", company=self.company)
        issuer.journal, = Journal.find([('type', '=', 'revenue')])
        issuer.bank_account = account
        issuer.kid_sequence = kid_sequence
        issuer.orgnr = ORGNR
        issuer.address, = self.company.party.addresses
        issuer.email = "post@eksempelforeningen.no"
        issuer.website = "https://eksempelforeningen.no"
        issuer.save()
        self.add_issuer_series(issuer)
        return issuer

    def add_issuer_series(self, issuer):
        "Give the issuer its own strict invoice and credit note series"
        Sequence = Model.get('ir.sequence.strict')
        SequenceType = Model.get('ir.sequence.type')

        invoice_type, = SequenceType.find([('name', '=', "Invoice")])
        year = self.today.year
        invoices, credit_notes = (
            Sequence(name=f"{issuer.name} {name} {year}",
                sequence_type=invoice_type, company=self.company,
                prefix=prefix, padding=6)
            for name, prefix in [("faktura", f'EF{year}-'),
                ("kreditnota", f'EK{year}-')])
        invoices.save()
        credit_notes.save()
        line = self.fiscalyear.invoice_sequences.new()
        line.sequence = 1
        line.issuer = issuer
        line.out_invoice_sequence = invoices
        line.out_credit_note_sequence = credit_notes
        line.in_invoice_sequence = invoices
        line.in_credit_note_sequence = credit_notes
        self.fiscalyear.save()

    def create_statement_journal(self):
        "Create the bank statement journal for incoming payments"
        Account = Model.get('account.account')
        AccountJournal = Model.get('account.journal')
        StatementJournal = Model.get('account.statement.journal')

        journal = StatementJournal(name="Innbetalinger OCR")
        journal.journal, = AccountJournal.find(
            [('type', '=', 'statement')])
        journal.account, = Account.find([('code', '=', '1920')])
        journal.bank_account = self.issuer.bank_account
        journal.validation = 'amount'
        journal.unmatched_account = unmatched_account()
        journal.save()

    def create_dues(self):
        "Create the yearly dues products and their subscription services"
        Category = Model.get('product.category')
        Account = Model.get('account.account')
        MembershipType = Model.get('choo.membership.type')
        PaymentTerm = Model.get('account.invoice.payment_term')
        Service = Model.get('sale.subscription.service')
        Tax = Model.get('account.tax')
        Template = Model.get('product.template')
        Uom = Model.get('product.uom')

        self.payment_term = PaymentTerm(name="14 dager netto")
        self.payment_term.lines.new(type='remainder').relativedeltas.new(
            days=14)
        self.payment_term.save()
        category = Category(name="Kontingent", accounting=True)
        category.account_revenue, = Account.find([('code', '=', '3910')])
        category.customer_taxes.extend(
            Tax.find([('saft_code', '=', '6'), ('parent', '=', None)]))
        category.save()
        unit, = Uom.find([('name', '=', "Unit")])
        services = {}
        for type_name, product_name, price in DUES:
            template = Template(name=product_name, type='service',
                default_uom=unit, list_price=price,
                account_category=category, salable=True,
                billing_proration='pro_rata')
            template.save()
            product, = template.products
            service = Service(product=product)
            service.save()
            membership_type = MembershipType(
                name=type_name, product=product)
            membership_type.save()
            services[membership_type] = service
        return services

    def create_members(self, n_members, services):
        "Create the members with a membership and a yearly subscription"
        Membership = Model.get('choo.membership')
        Party = Model.get('party.party')
        Subscription = Model.get('sale.subscription')

        types = list(services)
        parties, memberships = [], []
        for index in range(n_members):
            party = Party(name=self.person_name())
            address, = party.addresses
            address.street = f"Medlemsveien {index + 1}"
            address.postal_code, address.city = self.random.choice(CITIES)
            party.contact_mechanisms.new(
                type='email', value=f"medlem{index + 1}@example.org")
            parties.append(party)
        Party.save(parties)
        for party in parties:
            type_ = types[0] if self.random.random() < 0.8 else types[1]
            memberships.append(Membership(
                    party=party, type=type_, start_date=self.dues_start))
        Membership.save(memberships)

        subscriptions = []
        for membership in memberships:
            subscription = Subscription(party=membership.party)
            subscription.start_date = self.dues_start
            subscription.interval = 'yearly'
            subscription.payment_term = self.payment_term
            line = subscription.lines.new()
            line.service = services[membership.type]
            line.quantity = 1
            subscriptions.append(subscription)
        if not subscriptions:
            return
        Subscription.save(subscriptions)
        Subscription.click(subscriptions, 'quote')
        Subscription.click(subscriptions, 'run')

    def close_configuration_wizard(self):
        "Mark the set-up steps done so that logging in opens no wizard"
        Item = Model.get('ir.module.config_wizard.item')
        items = Item.find([('state', '!=', 'done')])
        for item in items:
            item.state = 'done'
        Item.save(items)

    def person_name(self):
        return (f"{self.random.choice(FIRST_NAMES)} "
            f"{self.random.choice(LAST_NAMES)}")


def unmatched_account():
    "Return the account that holds payments nobody has identified yet"
    Account = Model.get('account.account')
    accounts = Account.find([('name', 'ilike', 'Uidentifiserte%')])
    if not accounts:
        accounts = Account.find([('code', '=', '2900')])
    return accounts[0]


def bank_file_transactions(today):
    "Return OCR payments: most invoices in full, some short, two unknown"
    Invoice = Model.get('account.invoice')

    chance = random.Random(today.toordinal())
    invoices = Invoice.find(
        [('type', '=', 'out'), ('state', '=', 'posted')],
        order=[('number', 'ASC')])
    payments = []
    for invoice in invoices:
        draw = chance.random()
        if draw < 0.8:
            payments.append((invoice.kid, invoice.amount_to_pay))
        elif draw < 0.85:
            payments.append((invoice.kid, invoice.amount_to_pay - 50))
    payments += [('12345678903', Decimal('750.00')),
        (None, Decimal('300.00'))]
    return [
        ocr.Transaction(
            transaction_type=ocr.TransactionType.GIRO_DEBITED_ACCOUNT,
            number=number, amount=amount, kid=kid, nets_date=today,
            bank_date=today - relativedelta(days=1),
            payer_account='99992000011')
        for number, (kid, amount) in enumerate(payments, 1)]
