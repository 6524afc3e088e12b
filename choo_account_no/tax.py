from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Bool, Eval

SAFT_CODE_HELP = (
    "The standard VAT code that this tax is reported under "
    "in the Norwegian SAF-T Financial data.")


class TaxTemplate(metaclass=PoolMeta):
    __name__ = 'account.tax.template'

    saft_code = fields.Char("SAF-T Code", help=SAFT_CODE_HELP)

    def _get_tax_value(self, tax=None):
        value = super()._get_tax_value(tax=tax)
        if not tax or tax.saft_code != self.saft_code:
            value['saft_code'] = self.saft_code
        return value


class Tax(metaclass=PoolMeta):
    __name__ = 'account.tax'

    saft_code = fields.Char(
        "SAF-T Code", help=SAFT_CODE_HELP,
        states={
            'readonly': (Bool(Eval('template', -1))
                & ~Eval('template_override', False)),
            })
