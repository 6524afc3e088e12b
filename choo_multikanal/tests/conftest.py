"""Fixtures of the distribution tests: real processes on loopback."""
from collections.abc import Iterator

import pytest

from choo_multikanal.multikanal import MultikanalConfig, MultikanalProvider

from .tools import TOKEN, Service, simulator

UNREACHABLE = '915933149'
REJECTING = '981975677'
SILENT = '923609016'


@pytest.fixture(scope='module')
def service() -> Iterator[Service]:
    """Yield a simulator that sends and delivers at once, by rules."""
    with simulator(
            '--unreachable', UNREACHABLE, '--reject-later', REJECTING,
            '--never-confirm', SILENT) as running:
        yield running


@pytest.fixture
def provider(service: Service) -> Iterator[MultikanalProvider]:
    """Yield a Multikanal provider logged in to the simulator."""
    config = MultikanalConfig(url=service.url, token=TOKEN, timeout=10)
    with MultikanalProvider(config) as provider:
        yield provider
