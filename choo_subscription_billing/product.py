from trytond.i18n import gettext
from trytond.model import ModelSQL, fields
from trytond.modules.company.model import (
    CompanyMultiValueMixin, CompanyValueMixin)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .exceptions import ProductKIDCodeError


def _cost_centre_domain(company):
    return [
        ('type', '=', 'normal'),
        ('state', '!=', 'closed'),
        ('company', '=', company),
        ]


class Template(CompanyMultiValueMixin, metaclass=PoolMeta):
    __name__ = 'product.template'

    cost_centre = fields.MultiValue(fields.Many2One(
            'analytic_account.account', "Cost Centre", ondelete='RESTRICT',
            domain=_cost_centre_domain(
                Eval('context', {}).get('company', -1)),
            states={
                'invisible': ~Eval('context', {}).get('company'),
                },
            help="The analytic account the invoice lines of the product "
            "go to unless changed on the line."))
    cost_centres = fields.One2Many(
        'product.template.cost_centre', 'template', "Cost Centres")

    billing_proration = fields.Selection([
            ('whole', "Whole Period"),
            ('pro_rata', "Pro Rata"),
            ], "Proration", required=True,
        help="How a subscription period that the member joins or leaves "
        "part of is billed:\n"
        "the whole period, or the days covered over the period's own "
        "length.")
    kid_code = fields.Char(
        "KID Code",
        help="The digits that stand for the product in the KID "
        "of issuers whose KID has product digits.")

    @classmethod
    def default_billing_proration(cls):
        return 'whole'

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if 'kid_code' in field_names:
            cls.check_kid_code(templates)

    @classmethod
    def check_kid_code(cls, templates):
        "Check that the KID codes are digits only"
        for template in templates:
            code = template.kid_code
            if code and not (code.isascii() and code.isdigit()):
                raise ProductKIDCodeError(gettext(
                        'choo_subscription_billing.msg_product_kid_code',
                        code=code, product=template.rec_name))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'cost_centre':
            return pool.get('product.template.cost_centre')
        return super().multivalue_model(field)


class TemplateCostCentre(ModelSQL, CompanyValueMixin):
    __name__ = 'product.template.cost_centre'
    __string__ = "Product Cost Centre"

    template = fields.Many2One(
        'product.template', "Template", ondelete='CASCADE',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    cost_centre = fields.Many2One(
        'analytic_account.account', "Cost Centre", ondelete='RESTRICT',
        domain=_cost_centre_domain(Eval('company', -1)))
