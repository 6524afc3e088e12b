"""What the tests of the bank-file readers share."""
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from choo_cremul.bankfile import BankFileError

SAMPLES = Path(__file__).resolve().parents[2].parent / 'shared' / 'samples'


def sample(path: Path) -> bytes:
    """Return a sample file's bytes, skipping the test if it is absent."""
    if not path.exists():
        pytest.skip(f"sample {path} is not available")
    return path.read_bytes()


def join_lines(lines: list[str]) -> str:
    """Return lines as the text of a file."""
    return ''.join(line + '\n' for line in lines)


def overwrite(
        lines: list[str], line: int, position: int, text: str) -> list[str]:
    """Return the lines with text put at a 1-based line and position."""
    edited = list(lines)
    old = edited[line - 1]
    edited[line - 1] = (
        old[:position - 1] + text + old[position - 1 + len(text):])
    return edited


def replace_once(text: str, old: str, new: str) -> str:
    """Return the text with its one occurrence of old replaced."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def raises(
        reader: ModuleType, kind: type[BankFileError], text: str | bytes,
        code: str, pattern: str | None = None) -> BankFileError:
    """Parse with the reader, expecting an error of the kind and code.

    The error's text must be its message worded from its values.
    """
    parse: Callable[[str | bytes], object] = reader.parse
    with pytest.raises(kind, match=pattern) as error:
        parse(text)
    assert error.value.code == code
    assert str(error.value) == reader.MESSAGES[code].format(
        **error.value.params)
    return error.value
