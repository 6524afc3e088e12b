from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Invoice(metaclass=PoolMeta):
    __name__ = 'account.invoice'

    purchase_order = fields.Char(
        "Purchase Order",
        states={
            'readonly': Eval('state') != 'draft',
            },
        help="The buyer's purchase order number the invoice quotes.")

    @fields.depends(methods=['_choo_set_party_references'])
    def on_change_party(self):
        super().on_change_party()
        self._choo_set_party_references()

    @fields.depends('type', 'party', 'reference', 'purchase_order')
    def _choo_set_party_references(self):
        "Fill the empty buyer references from the payer's standing values"
        if self.type != 'out' or not self.party:
            return
        if not self.reference:
            self.reference = self.party.invoice_reference
        if not self.purchase_order:
            self.purchase_order = self.party.purchase_order

    def _credit(self, **values):
        credit = super()._credit(**values)
        credit.reference = self.reference
        credit.purchase_order = self.purchase_order
        return credit
