from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction


class MembershipType(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'choo.membership.type'
    __string__ = "Membership Type"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One('company.company', "Company", required=True)
    product = fields.Many2One(
        'product.product', "Dues Product", required=True,
        domain=[('type', '=', 'service')],
        context={'company': Eval('company', -1)}, depends={'company'},
        help="The service the member's dues are invoiced as.")
    description = fields.Text("Description", translate=True)

    @staticmethod
    def default_company():
        return Transaction().context.get('company')


class Membership(ModelSQL, ModelView):
    __name__ = 'choo.membership'
    __string__ = "Membership"
    party = fields.Many2One(
        'party.party', "Member", required=True, ondelete='CASCADE',
        context={'company': Eval('company', -1)}, depends={'company'})
    member_number = fields.Function(
        fields.Char("Member Number"), 'on_change_with_member_number')
    type = fields.Many2One(
        'choo.membership.type', "Type", required=True,
        domain=[('company', '=', Eval('company', -1))])
    company = fields.Many2One('company.company', "Company", required=True)
    start_date = fields.Date("Start Date", required=True)
    end_date = fields.Date(
        "End Date",
        domain=[If(Eval('end_date') & Eval('start_date'),
                ('end_date', '>=', Eval('start_date')),
                ())])
    state = fields.Function(fields.Selection([
                ('future', "Future"),
                ('active', "Active"),
                ('ended', "Ended"),
                ], "State"), 'get_state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('start_date', 'DESC'))

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_start_date():
        return Pool().get('ir.date').today()

    @fields.depends('party', '_parent_party.member_number')
    def on_change_with_member_number(self, name=None):
        if self.party:
            return self.party.member_number

    def get_state(self, name):
        today = Pool().get('ir.date').today()
        if self.start_date > today:
            return 'future'
        if self.end_date and self.end_date < today:
            return 'ended'
        return 'active'

    def get_rec_name(self, name):
        return f'{self.party.rec_name} ({self.type.rec_name})'

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('party.rec_name',) + tuple(clause[1:])]

    @classmethod
    def on_modification(cls, mode, memberships, field_names=None):
        super().on_modification(mode, memberships, field_names=field_names)
        if mode in {'create', 'write'}:
            Party = Pool().get('party.party')
            Party.number_members(
                list(dict.fromkeys(m.party for m in memberships)))
