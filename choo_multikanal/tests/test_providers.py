"""The choice of provider per channel and the options of distribution."""
import datetime as dt
import doctest

import pytest

from choo_multikanal import commands, providers
from choo_multikanal.distribution import RetryPolicy
from choo_multikanal.routing import Channel

EVERYTHING = {
    'multikanal_url': 'https://mk.example/api/v1/',
    'multikanal_token': 'secret', 'smtp_host': 'mail.example',
    'smtp_from': 'faktura@forening.example', 'print_folder': '/srv/print'}


@pytest.mark.parametrize('module', [providers, commands])
def test_doctests(module) -> None:
    """Every example in the module's docstrings runs."""
    failures, attempted = doctest.testmod(module)
    assert failures == 0
    assert attempted > 0


def test_each_channel_to_its_own_provider() -> None:
    """With every provider set up, e-mail and print stay at home."""
    assert {c: providers.provider_name(c, EVERYTHING) for c in Channel} == {
        Channel.EHF: 'multikanal', Channel.EFAKTURA: 'multikanal',
        Channel.EMAIL: 'smtp', Channel.PRINT: 'print'}


def test_channel_given_to_multikanal() -> None:
    """A channel named to Multikanal goes there though SMTP is set up."""
    options = {**EVERYTHING, 'email_provider': 'Multikanal'}
    assert providers.provider_name(Channel.EMAIL, options) == 'multikanal'


@pytest.mark.parametrize('channel, options', [
        (Channel.EHF, {'smtp_host': 'mail.example'}),
        (Channel.EHF, {**EVERYTHING, 'ehf_provider': 'smtp'}),
        (Channel.PRINT, {'multikanal_url': 'https://mk.example/',
            'print_provider': 'print'}),
        (Channel.EMAIL, {}),
        ])
def test_channel_without_provider(channel, options) -> None:
    """A channel whose provider is missing or cannot take it has none."""
    assert providers.provider_name(channel, options) is None


def test_defaults() -> None:
    """Without options: the policy's backoff, 72 hours, 100 a task."""
    assert providers.retry_policy({}) == RetryPolicy()
    assert providers.confirm_within({}) == dt.timedelta(hours=72)
    assert providers.batch_size({}) == 100
    assert providers.batch_size({'batch_size': '0'}) == 1


def test_providers_opened_once_and_closed(tmp_path) -> None:
    """Each provider is created once and the print run flushed on close."""
    options = {**EVERYTHING, 'print_folder': str(tmp_path)}
    with providers.Providers(options) as opened:
        first = opened.get('multikanal')
        assert opened.get('multikanal') is first
        assert opened.get('print').config.folder == tmp_path
    with pytest.raises(ValueError):
        providers.Providers(options).get('fax')
