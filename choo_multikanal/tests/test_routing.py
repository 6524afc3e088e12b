"""Tests of the pure invoice channel routing."""
import doctest

import pytest

from choo_multikanal import routing
from choo_multikanal.routing import Channel, Receiver, choose_channel

ORGNR = '974760673'
EMAIL = 'post@example.no'


def test_doctests() -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(routing)
    assert failures == 0
    assert attempted > 0


def test_preferred_channel_that_reaches_the_receiver() -> None:
    """The receiver's own possible choice wins over every other rule."""
    everything = dict(
        efaktura_agreement=True, peppol_receiver=True,
        organisation_number=ORGNR, email=EMAIL)
    for channel in Channel:
        receiver = Receiver(preferred=channel.value, **everything)
        assert choose_channel(receiver) is channel


@pytest.mark.parametrize('receiver', [
        Receiver(preferred='ehf', email=EMAIL),
        Receiver(preferred='ehf', peppol_receiver=True, email=EMAIL),
        Receiver(preferred='efaktura', email=EMAIL),
        ])
def test_impossible_preference_falls_back(receiver: Receiver) -> None:
    """A choice that cannot reach the receiver gives the automatic one."""
    assert choose_channel(receiver) is Channel.EMAIL


def test_ehf_for_peppol_organisation() -> None:
    """An organisation in Peppol gets EHF before eFaktura and e-mail."""
    receiver = Receiver(
        peppol_receiver=True, organisation_number=ORGNR,
        efaktura_agreement=True, email=EMAIL)
    assert choose_channel(receiver) is Channel.EHF


@pytest.mark.parametrize('number', [None, '', '974760672', '97476067'])
def test_no_ehf_without_valid_organisation_number(
        number: str | None) -> None:
    """Peppol needs a valid organisation number to address the invoice."""
    receiver = Receiver(
        peppol_receiver=True, organisation_number=number, email=EMAIL)
    assert choose_channel(receiver) is Channel.EMAIL


def test_no_ehf_outside_peppol() -> None:
    """An organisation number alone does not make a Peppol receiver."""
    receiver = Receiver(organisation_number=ORGNR)
    assert choose_channel(receiver) is Channel.PRINT


def test_efaktura_for_consumer_with_agreement() -> None:
    """A consumer with an agreement gets eFaktura before e-mail."""
    receiver = Receiver(efaktura_agreement=True, email=EMAIL)
    assert choose_channel(receiver) is Channel.EFAKTURA


def test_email_without_electronic_channel() -> None:
    """E-mail is used when no electronic invoice channel reaches."""
    assert choose_channel(Receiver(email=EMAIL)) is Channel.EMAIL


def test_print_as_last_resort() -> None:
    """A receiver without any electronic address gets a letter."""
    assert choose_channel(Receiver()) is Channel.PRINT
    assert choose_channel(Receiver(email='')) is Channel.PRINT


def test_print_always_possible() -> None:
    """A printed letter is the last possible channel of everyone."""
    for receiver in [
            Receiver(),
            Receiver(peppol_receiver=True, organisation_number=ORGNR),
            Receiver(efaktura_agreement=True, email=EMAIL)]:
        assert routing.possible_channels(receiver)[-1] is Channel.PRINT


def test_unknown_preference_is_a_programming_error() -> None:
    """A preferred value that is no channel raises ValueError."""
    with pytest.raises(ValueError):
        choose_channel(Receiver(preferred='fax'))


def test_channel_values_are_the_stored_codes() -> None:
    """The channels compare equal to the codes the database stores."""
    assert [c.value for c in Channel] == [
        'efaktura', 'ehf', 'email', 'print']
    assert Channel.EHF == 'ehf'


def test_issuer_order_replaces_the_usual_one() -> None:
    """An issuer that prefers e-mail sends an organisation e-mail first."""
    receiver = Receiver(
        peppol_receiver=True, organisation_number=ORGNR, email=EMAIL)
    order = routing.parse_order('email ehf print')

    assert choose_channel(receiver, order) is Channel.EMAIL
    assert routing.possible_channels(receiver, order) == [
        Channel.EMAIL, Channel.EHF, Channel.PRINT]


def test_receiver_choice_wins_over_issuer_order() -> None:
    """The receiver's reachable choice wins even outside the issuer's."""
    receiver = Receiver(efaktura_agreement=True, email=EMAIL,
        preferred='efaktura')
    order = routing.parse_order('email')

    assert choose_channel(receiver, order) is Channel.EFAKTURA
    assert routing.possible_channels(receiver, order) == [
        Channel.EMAIL, Channel.PRINT]


def test_unknown_channel_in_order() -> None:
    """An order naming no channel is refused."""
    with pytest.raises(ValueError):
        routing.parse_order('ehf fax')
