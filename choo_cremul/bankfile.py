"""Name what can be wrong with a bank file, whatever its format.

Every reader of this package (OCR giro, CREMUL, camt.054) raises a
subclass of BankFileError, so a caller can catch them all at once or one
kind at a time.  Each error keeps its ``code`` and the values it names in
``params``, so that the message can be worded again in another language:

>>> error = TotalsError(
...     "Stated 2, counted 3.", code='count', stated=2, actual=3)
>>> isinstance(error, ValueError), error.code, error.params['actual']
(True, 'count', 3)
"""

from collections.abc import Collection, Mapping
from enum import Enum

__all__ = [
    'BankFileError', 'Checks', 'RecordError', 'StructureError',
    'TotalsError', 'WrongFormatError', 'detect']


_AGREEMENTS_START = b'NY212420'  # start of an AvtaleGiro agreement assignment


class BankFileError(ValueError):
    """Signal a bank file that cannot be read, naming the place at fault."""

    def __init__(
            self, message: str, line: int | None = None, /, *,
            code: str = '', **params: object) -> None:
        super().__init__(message)
        self.line = line
        self.code = code
        self.params = params


class WrongFormatError(BankFileError):
    """Signal a file that is not of the format its reader reads."""


class RecordError(BankFileError):
    """Signal a record, segment or element with a malformed value."""


class StructureError(BankFileError):
    """Signal records that are missing, repeated or out of order."""


class TotalsError(BankFileError):
    """Signal a control count or sum that disagrees with the file."""


class Checks:
    """Raise a failed control check, or keep it when told to warn.

    Each check is an enum member whose value is the code of its message
    in *messages*; the message names the stated and the actual figure.
    """

    def __init__(
            self, warn: Collection[Enum], messages: Mapping[str, str]
            ) -> None:
        self.warn = frozenset(warn)
        self.messages = messages
        self.warnings: list[BankFileError] = []

    def compare(
            self, check: Enum, stated: object, actual: object,
            **params: object) -> None:
        """Report a stated control figure that differs from the actual."""
        if stated == actual:
            return
        params = {'stated': stated, 'actual': actual, **params}
        code = str(check.value)
        line = params.get('line')
        error = TotalsError(
            self.messages[code].format(**params),
            line if isinstance(line, int) else None, code=code, **params)
        if check not in self.warn:
            raise error
        self.warnings.append(error)


def detect(data: bytes) -> str | None:
    """Return the format of a bank file from its first bytes, if known.

    >>> detect(b'NY000010'), detect(b"UNA:+.? 'UNB"), detect(b'<?xml')
    ('ocr_giro', 'cremul', 'camt_054')
    >>> detect(b'%PDF-1.7') is None
    True

    A Nets file whose first assignment is of AvtaleGiro agreements
    (service 21, assignment type 24) holds mandates, not payments:

    >>> detect(b'NY000010...\\r\\nNY212420...')
    'avtalegiro_agreements'
    """
    head = data[:1024].lstrip(b'\xef\xbb\xbf \t\r\n')
    if head.startswith(b'NY'):
        lines = head.splitlines()
        if len(lines) > 1 and lines[1].startswith(_AGREEMENTS_START):
            return 'avtalegiro_agreements'
        return 'ocr_giro'
    if head[:3] in {b'UNA', b'UNB'}:
        return 'cremul'
    if head.startswith(b'<'):
        return 'camt_054'
    return None
