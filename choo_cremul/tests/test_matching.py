"""Test the pure matching helpers."""
import doctest

from choo_cremul import matching


def test_module_examples_run() -> None:
    """Check the examples in the module's docstrings."""
    assert doctest.testmod(matching).failed == 0
