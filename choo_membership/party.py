from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, Unique, fields
from trytond.pool import Pool, PoolMeta

from .exceptions import MemberSequenceError


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    member_number = fields.Char(
        "Member Number", readonly=True, strip=False,
        help="The number the organisation knows the member by.")
    memberships = fields.One2Many(
        'choo.membership', 'party', "Memberships")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.member_number.search_unaccented = False
        cls._sql_constraints += [
            ('member_number_unique', Unique(t, t.member_number),
                'choo_membership.msg_member_number_unique'),
            ]
        cls._sql_indexes.add(
            cls._sql_index_member_number(t))

    @classmethod
    def _sql_index_member_number(cls, table):
        return Index(
            table, (table.member_number, Index.Equality()),
            where=table.member_number != Null)

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('member_number')
        default.setdefault('memberships')
        return super().copy(parties, default=default)

    @classmethod
    def number_members(cls, parties):
        "Give a member number to the parties that have none"
        pool = Pool()
        Configuration = pool.get('party.configuration')

        parties = [p for p in parties if not p.member_number]
        if not parties:
            return
        sequence = Configuration(1).member_sequence
        if not sequence:
            raise MemberSequenceError(
                gettext('choo_membership.msg_member_sequence_missing'))
        for party, number in zip(
                parties, sequence.get_many(len(parties))):
            party.member_number = number
        cls.save(parties)
