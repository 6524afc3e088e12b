from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .exceptions import PeppolReceiverError

CHANNELS = [
    ('efaktura', "eFaktura"),
    ('ehf', "EHF"),
    ('email', "E-mail"),
    ('print', "Print"),
    ]
ORGANISATION_NUMBER_TYPES = {'no_orgnr', 'no_vat'}


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    invoice_channel = fields.Selection(
        [(None, "Automatic")] + CHANNELS, "Invoice Channel", sort=False,
        help="The channel the party chose to receive invoices by.\n"
        "When it cannot reach the party, or is left automatic, EHF, "
        "eFaktura, e-mail and print are tried in that order.")
    efaktura_agreement = fields.Boolean(
        "eFaktura Agreement",
        help="The party has an eFaktura agreement with the organisation "
        "in its bank or in Vipps.")
    efaktura_id = fields.Char(
        "eFaktura Identifier",
        states={
            'required': Eval('efaktura_agreement', False),
            },
        help="The identifier of the party's eFaktura consent, "
        "which eFaktura invoices are addressed to.")
    email_attach_ehf = fields.Boolean(
        "Attach EHF to E-mails",
        help="Invoices sent to the party by e-mail carry their EHF "
        "beside the PDF, for its accounting system to read.")
    peppol_receiver = fields.Boolean(
        "Peppol Receiver",
        help="The party is registered in the Peppol directory "
        "to receive EHF invoices at its organisation number.")

    @classmethod
    def default_efaktura_agreement(cls):
        return False

    @classmethod
    def default_email_attach_ehf(cls):
        return False

    @classmethod
    def default_peppol_receiver(cls):
        return False

    def _get_organisation_number(self):
        "Return the digits of the party's Norwegian organisation number"
        for identifier in self.identifiers:
            if identifier.type in ORGANISATION_NUMBER_TYPES:
                return ''.join(filter(str.isdigit, identifier.code))

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        if field_names & {'peppol_receiver', 'identifiers'}:
            cls.check_peppol_receiver(parties)

    @classmethod
    def check_peppol_receiver(cls, parties):
        "Check that Peppol receivers have an organisation number"
        for party in parties:
            if (party.peppol_receiver
                    and not party._get_organisation_number()):
                raise PeppolReceiverError(gettext(
                        'choo_multikanal.msg_peppol_receiver_orgnr',
                        party=party.rec_name))
