"""Proteus helpers that set up an issuer and its products for scenarios."""
from decimal import Decimal

from proteus import Model

__all__ = ['create_issuer', 'create_product']


def _bank_account(owner):
    "Return a saved bank account of owner with a Norwegian number"
    Bank = Model.get('bank')
    BankAccount = Model.get('bank.account')
    Party = Model.get('party.party')
    bank = Bank(party=Party(name="Eksempelbanken"))
    bank.party.save()
    bank.save()
    account = BankAccount(bank=bank)
    account.owners.append(Party(owner.id))
    account.numbers.new(type='other', number='99991000018')
    account.save()
    return account


def create_issuer(company, fiscalyear, **values):
    """Return the company's issuer with FV- invoices and KN- credit notes

    values are the issuer's fields, its name the company's by default.
    """
    Issuer = Model.get('choo.issuer')
    Journal = Model.get('account.journal')
    Sequence = Model.get('ir.sequence')
    SequenceStrict = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')

    kid_type, = SequenceType.find([('name', '=', "KID")])
    invoice_type, = SequenceType.find([('name', '=', "Invoice")])
    issuer = Issuer(name=company.party.name, **values)
    issuer.bank_account = _bank_account(company.party)
    issuer.address, = company.party.addresses
    issuer.journal, = Journal.find([('type', '=', 'revenue')])
    issuer.kid_sequence = Sequence(
        name="KID", sequence_type=kid_type, company=company)
    issuer.kid_sequence.save()
    issuer.save()

    series = fiscalyear.invoice_sequences.new(issuer=issuer)
    for name, prefix in [('invoice', 'FV-'), ('credit_note', 'KN-')]:
        sequence = SequenceStrict(
            name=prefix, prefix=prefix, sequence_type=invoice_type,
            company=company)
        sequence.save()
        for kind in ['out', 'in']:
            setattr(series, f'{kind}_{name}_sequence', sequence)
    fiscalyear.save()
    return issuer


def create_product(name, price, account_code, saft_code, cost_centre=None):
    """Return a service with its revenue account, tax and cost centre

    The account is found by its code, the tax by its SAF-T code and the
    cost centre, when named, is made under the analytic root.
    """
    Account = Model.get('account.account')
    AnalyticAccount = Model.get('analytic_account.account')
    Category = Model.get('product.category')
    Tax = Model.get('account.tax')
    Template = Model.get('product.template')
    Uom = Model.get('product.uom')

    category = Category(name=name, accounting=True)
    category.account_revenue, = Account.find([('code', '=', account_code)])
    category.customer_taxes.extend(Tax.find([('saft_code', '=', saft_code)]))
    category.save()
    template = Template(
        name=name, type='service', list_price=Decimal(price),
        account_category=category)
    template.default_uom, = Uom.find([('name', '=', "Unit")])
    if cost_centre:
        roots = AnalyticAccount.find([('type', '=', 'root')])
        root = roots[0] if roots else AnalyticAccount(
            type='root', name="Kostnadssteder")
        root.save()
        template.cost_centre = AnalyticAccount(
            root=root, parent=root, name=cost_centre)
        template.cost_centre.save()
    template.save()
    product, = template.products
    return product
