"""Choice of the channel an invoice is delivered by.

A Norwegian invoice reaches its receiver by one of four channels: EHF
through the Peppol network for organisations, Vipps/eFaktura to a
consumer's bank or Vipps app, e-mail, or a printed letter.  The receiver
is described by plain facts, so the rule can be tested without a database.

>>> choose_channel(Receiver(email='kari@example.no'))
<Channel.EMAIL: 'email'>
>>> choose_channel(Receiver(
...     peppol_receiver=True, organisation_number='974760673',
...     email='faktura@example.no'))
<Channel.EHF: 'ehf'>
>>> choose_channel(Receiver(
...     efaktura_agreement=True, email='kari@example.no',
...     preferred='email'))
<Channel.EMAIL: 'email'>
>>> choose_channel(Receiver(preferred='ehf'))
<Channel.PRINT: 'print'>
"""

import dataclasses
import enum

from stdnum.no import orgnr

__all__ = ['Channel', 'Receiver', 'possible_channels', 'choose_channel']


class Channel(enum.StrEnum):
    """The ways an invoice reaches its receiver."""

    EFAKTURA = 'efaktura'  # Vipps/eFaktura, for consumers with agreement
    EHF = 'ehf'  # Peppol BIS Billing in EHF, for registered organisations
    EMAIL = 'email'  # PDF sent to the receiver's e-mail address
    PRINT = 'print'  # paper letter to the invoice address


@dataclasses.dataclass(frozen=True)
class Receiver:
    """The facts about a receiver that decide its invoice channel."""

    efaktura_agreement: bool = False
    peppol_receiver: bool = False
    organisation_number: str | None = None
    email: str | None = None
    preferred: str | None = None


def possible_channels(receiver: Receiver) -> list[Channel]:
    """Return the channels that can reach *receiver*, most wanted first.

    EHF needs registration in the Peppol directory and a valid
    organisation number, the Peppol address (scheme 0192) of a Norwegian
    organisation.  eFaktura needs the receiver's eFaktura agreement,
    which only consumers have.  E-mail needs an address.  A printed letter
    is always possible.

    >>> def names(receiver):
    ...     return [channel.value for channel in possible_channels(receiver)]
    >>> names(Receiver(peppol_receiver=True, organisation_number='974760673'))
    ['ehf', 'print']
    >>> names(Receiver(peppol_receiver=True, organisation_number='974760672'))
    ['print']
    >>> names(Receiver(efaktura_agreement=True, email='kari@example.no'))
    ['efaktura', 'email', 'print']
    """
    channels = []
    if receiver.peppol_receiver and orgnr.is_valid(
            receiver.organisation_number or ''):
        channels.append(Channel.EHF)
    if receiver.efaktura_agreement:
        channels.append(Channel.EFAKTURA)
    if receiver.email:
        channels.append(Channel.EMAIL)
    channels.append(Channel.PRINT)
    return channels


def choose_channel(receiver: Receiver) -> Channel:
    """Return the channel to deliver the invoices of *receiver* by.

    The rule follows Norwegian practice:

    1. the channel the receiver chose, if it can reach the receiver;
    2. else EHF, for an organisation registered in Peppol: public bodies
       require it and businesses able to receive it expect it;
    3. else eFaktura, for a consumer with an eFaktura agreement;
    4. else e-mail, when the receiver has an address;
    5. else a printed letter.

    An unknown *preferred* channel raises ValueError.

    >>> choose_channel(Receiver(efaktura_agreement=True, preferred='print'))
    <Channel.PRINT: 'print'>
    >>> choose_channel(Receiver(preferred='fax'))
    Traceback (most recent call last):
        ...
    ValueError: 'fax' is not a valid Channel
    """
    channels = possible_channels(receiver)
    if receiver.preferred:
        preferred = Channel(receiver.preferred)
        if preferred in channels:
            return preferred
    return channels[0]
