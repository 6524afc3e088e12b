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
from collections.abc import Sequence

from stdnum.no import orgnr

__all__ = [
    'Channel', 'Receiver', 'DEFAULT_ORDER', 'parse_order',
    'possible_channels', 'choose_channel']


class Channel(enum.StrEnum):
    """The ways an invoice reaches its receiver."""

    EFAKTURA = 'efaktura'  # Vipps/eFaktura, for consumers with agreement
    EHF = 'ehf'  # Peppol BIS Billing in EHF, for registered organisations
    EMAIL = 'email'  # PDF sent to the receiver's e-mail address
    PRINT = 'print'  # paper letter to the invoice address


# The usual order of preference, most wanted first.
DEFAULT_ORDER = (Channel.EHF, Channel.EFAKTURA, Channel.EMAIL, Channel.PRINT)


def parse_order(text: str | None) -> tuple[Channel, ...]:
    """Return the channels named in *text*, by commas or spaces, in order.

    An empty text gives the usual order; an unknown or repeated channel
    raises ValueError.

    >>> parse_order('email, print')
    (<Channel.EMAIL: 'email'>, <Channel.PRINT: 'print'>)
    >>> parse_order('') == DEFAULT_ORDER
    True
    >>> parse_order('print print')
    Traceback (most recent call last):
        ...
    ValueError: channel 'print' is given twice
    """
    names = (text or '').replace(',', ' ').split()
    if not names:
        return DEFAULT_ORDER
    channels: list[Channel] = []
    for name in names:
        channel = Channel(name.lower())
        if channel in channels:
            raise ValueError(f"channel {name!r} is given twice")
        channels.append(channel)
    return tuple(channels)


@dataclasses.dataclass(frozen=True)
class Receiver:
    """The facts about a receiver that decide its invoice channel."""

    efaktura_agreement: bool = False
    peppol_receiver: bool = False
    organisation_number: str | None = None
    email: str | None = None
    preferred: str | None = None


def possible_channels(
        receiver: Receiver,
        order: Sequence[Channel] | None = None) -> list[Channel]:
    """Return the channels that can reach *receiver*, most wanted first.

    *order* is the issuer's order of preference (DEFAULT_ORDER when
    None); the channels it leaves out are not used, except a printed
    letter, which always remains the last resort.

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
    >>> [channel.value for channel in possible_channels(
    ...     Receiver(efaktura_agreement=True, email='kari@example.no'),
    ...     order=[Channel.EMAIL, Channel.EFAKTURA])]
    ['email', 'efaktura', 'print']
    """
    reachable = {
        Channel.EHF: receiver.peppol_receiver and orgnr.is_valid(
            receiver.organisation_number or ''),
        Channel.EFAKTURA: receiver.efaktura_agreement,
        Channel.EMAIL: bool(receiver.email),
        Channel.PRINT: True,
        }
    channels = [
        c for c in (DEFAULT_ORDER if order is None else order)
        if reachable[c]]
    if Channel.PRINT not in channels:
        channels.append(Channel.PRINT)
    return channels


def choose_channel(
        receiver: Receiver,
        order: Sequence[Channel] | None = None) -> Channel:
    """Return the channel to deliver the invoices of *receiver* by.

    The rule follows Norwegian practice:

    1. the channel the receiver chose, if it can reach the receiver;
    2. else EHF, for an organisation registered in Peppol: public bodies
       require it and businesses able to receive it expect it;
    3. else eFaktura, for a consumer with an eFaktura agreement;
    4. else e-mail, when the receiver has an address;
    5. else a printed letter.

    An issuer's *order* replaces steps 2 to 5 by its own preference.

    An unknown *preferred* channel raises ValueError.

    >>> choose_channel(Receiver(efaktura_agreement=True, preferred='print'))
    <Channel.PRINT: 'print'>
    >>> choose_channel(Receiver(preferred='fax'))
    Traceback (most recent call last):
        ...
    ValueError: 'fax' is not a valid Channel
    >>> choose_channel(Receiver(
    ...     peppol_receiver=True, organisation_number='974760673',
    ...     email='faktura@example.no'),
    ...     order=[Channel.EMAIL, Channel.EHF, Channel.PRINT])
    <Channel.EMAIL: 'email'>
    """
    if receiver.preferred:
        preferred = Channel(receiver.preferred)
        if preferred in possible_channels(receiver, list(Channel)):
            return preferred
    return possible_channels(receiver, order)[0]
