"""Test the AvtaleGiro import as the ``choo`` command calls it."""
import unittest
from pathlib import Path

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from choo_cremul.exceptions import AvtaleGiroImportError
from choo_cremul.mandate import import_agreements

SAMPLE = (
    Path(__file__).resolve().parents[2].parent / 'shared' / 'samples'
    / 'ocr' / 'avtalegiro_agreements_zero_date.txt')


@unittest.skipUnless(SAMPLE.exists(), f"sample {SAMPLE} is not available")
class ImportAgreementsTestCase(unittest.TestCase):
    "Test import_agreements()"

    @classmethod
    def setUpClass(cls):
        activate_module('choo_cremul')

    @with_transaction()
    def test_report_lines(self):
        "Report each count of a file, whose KIDs no issuer knows"
        pool = Pool()
        File = pool.get('choo.avtalegiro.file')
        company = create_company()
        with set_company(company):
            lines = import_agreements(pool, SAMPLE.read_bytes(), company.id)
            file_, = File.search([])

        self.assertEqual(lines, [
                "format: avtalegiro_agreements",
                "transmission: 5594114",
                "agreements: 2",
                "registered: 0",
                "deleted: 0",
                "unknown: 2",
                "ended by full list: 0",
                ])
        self.assertEqual(
            [(a.kid, a.state, a.issuer) for a in file_.agreements],
            [('71000000000012', 'unknown', None),
                ('71000000000020', 'unknown', None)])

    @with_transaction()
    def test_refused_files_change_nothing(self):
        "Refuse a file, or its transmission, twice and an unpadded file"
        pool = Pool()
        File = pool.get('choo.avtalegiro.file')
        data = SAMPLE.read_bytes()
        refused = [
            (data, "has been imported already"),
            (data.replace(b'\n', b'\r\n'), 'transmission "5594114"'),
            (b'\n'.join(line.rstrip(b'0 ') for line in data.splitlines()),
                "has 23 characters"),
            ]
        company = create_company()
        with set_company(company):
            import_agreements(pool, data, company.id)
            for other, message in refused:
                with self.assertRaisesRegex(AvtaleGiroImportError, message):
                    import_agreements(pool, other, company.id)
            self.assertEqual(len(File.search([])), 1)
