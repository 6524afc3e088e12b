from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Id


class Configuration(metaclass=PoolMeta):
    __name__ = 'party.configuration'

    member_sequence = fields.Many2One(
        'ir.sequence', "Member Sequence",
        domain=[
            ('sequence_type', '=',
                Id('choo_membership', 'sequence_type_member')),
            ],
        help="Used to number a party when it becomes a member.")

    @classmethod
    def default_member_sequence(cls):
        return cls._get_member_sequence_id()

    @classmethod
    def _get_member_sequence_id(cls):
        ModelData = Pool().get('ir.model.data')
        try:
            return ModelData.get_id('choo_membership', 'sequence_member')
        except KeyError:
            return None
