"""Read back what an EHF document says, for tests."""
from typing import Any

from lxml import etree

__all__ = ['ehf_summary']


_UBL = {
    'cbc': 'urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonBasicComponents-2',
    'cac': 'urn:oasis:names:specification:ubl:schema:xsd:'
    'CommonAggregateComponents-2'}


def _party(party: Any) -> tuple[str, str, list[str]]:
    endpoint = party.find('cbc:EndpointID', _UBL)
    return (endpoint.get('schemeID'), endpoint.text, [
            e.text for e in party.iterfind(
                'cac:PartyTaxScheme/cbc:CompanyID', _UBL)])


def _line(line: Any) -> tuple[str, str | None, tuple[str, str] | None]:
    period = line.find('cac:InvoicePeriod', _UBL)
    return (
        line.findtext('cac:Item/cbc:Name', namespaces=_UBL),
        line.findtext('cbc:AccountingCost', namespaces=_UBL),
        (period.findtext('cbc:StartDate', namespaces=_UBL),
            period.findtext('cbc:EndDate', namespaces=_UBL))
        if period is not None else None)


def ehf_summary(xml: bytes) -> dict[str, Any]:
    """Return what a reader checks first in an EHF document."""
    root = etree.fromstring(xml)

    def text(path: str) -> str | None:
        return root.findtext(path, namespaces=_UBL)

    return {
        'type': etree.QName(root).localname,
        'totals': {
            etree.QName(e).localname: e.text
            for e in root.find('cac:LegalMonetaryTotal', _UBL)},
        'PaymentID': text('cac:PaymentMeans/cbc:PaymentID'),
        'BuyerReference': text('cbc:BuyerReference'),
        'OrderReference': text('cac:OrderReference/cbc:ID'),
        'BillingReference': text(
            'cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID'),
        'supplier': _party(root.find(
                'cac:AccountingSupplierParty/cac:Party', _UBL)),
        'customer': _party(root.find(
                'cac:AccountingCustomerParty/cac:Party', _UBL)),
        'tax_totals': [
            (e.text, e.get('currencyID'))
            for e in root.iterfind('cac:TaxTotal/cbc:TaxAmount', _UBL)],
        'vat': [
            (s.findtext('cac:TaxCategory/cbc:ID', namespaces=_UBL),
                s.findtext('cbc:TaxableAmount', namespaces=_UBL),
                s.findtext('cbc:TaxAmount', namespaces=_UBL),
                s.findtext('cac:TaxCategory/cbc:TaxExemptionReason',
                    namespaces=_UBL))
            for s in root.iterfind('cac:TaxTotal/cac:TaxSubtotal', _UBL)],
        'lines': [_line(l) for l in root.iterfind('cac:*[cbc:ID]', _UBL)
            if etree.QName(l).localname.endswith('Line')],
        }
