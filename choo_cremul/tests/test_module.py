import re
from pathlib import Path

import pytest
from lxml import etree

from trytond.modules.company.tests import CompanyTestMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

from choo_cremul import avtalegiro, camt054, cremul, nets, ocr

MESSAGE_XML = Path(__file__).resolve().parents[1] / 'message.xml'
READERS = [(cremul, 'cremul'), (camt054, 'camt054'), (ocr, 'nets'),
    (avtalegiro, 'nets')]


class CremulTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Choo CREMUL module"
    module = 'choo_cremul'

    @with_transaction()
    def test_invoice_avtalegiro(self):
        "Test an invoice of a subscription with a mandate is a notice"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.invoice.line')
        Subscription = pool.get('sale.subscription')
        SubscriptionLine = pool.get('sale.subscription.line')

        def invoice(mandate):
            subscription = Subscription(avtalegiro=mandate)
            return Invoice(lines=[
                    Line(origin=None),
                    Line(origin=SubscriptionLine(subscription=subscription)),
                    ])

        self.assertTrue(invoice(True)._is_avtalegiro())
        self.assertFalse(invoice(False)._is_avtalegiro())
        self.assertFalse(Invoice(lines=[])._is_avtalegiro())


del ModuleTestCase


def _messages():
    "Return the English text of each message of message.xml by its id"
    tree = etree.parse(str(MESSAGE_XML))
    return {
        record.get('id'): record.findtext('field[@name="text"]')
        for record in tree.iter('record')}


def _names(text, pattern):
    return sorted(set(re.findall(pattern, text)))


@pytest.mark.parametrize('reader, prefix', READERS)
def test_reader_errors_have_messages(reader, prefix):
    "Test each error code of a reader has its message with the same values"
    messages = _messages()
    for code, text in reader.MESSAGES.items():
        message = messages.get(f'msg_{prefix}_{code}')
        assert message is not None, f"msg_{prefix}_{code} is missing"
        assert (_names(message, r'%\((\w+)\)s')
            == _names(text, r'\{(\w+)(?:!r)?\}')), code


def test_nets_readers_agree_on_shared_codes():
    "Test OCR giro and AvtaleGiro word a code they share alike"
    shared = ocr.MESSAGES.keys() & avtalegiro.MESSAGES.keys()
    assert shared == nets.MESSAGES.keys()
    kinds = {kind.name.lower() for kind in nets.RecordKind}
    assert not kinds & (ocr.MESSAGES.keys() | avtalegiro.MESSAGES.keys())


def test_record_kinds_have_messages():
    "Test each kind of Nets record has its message in its English words"
    messages = _messages()
    for kind in nets.RecordKind:
        assert messages[f'msg_nets_{kind.name.lower()}'] == kind.description
