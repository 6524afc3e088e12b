"""Run the official EHF / Peppol BIS Billing 3.0 rules on a document.

For tests only.  The rule files in ../shared/validation/ are ISO
Schematron with the XSLT 2 query binding.  They are compiled by the ISO
Schematron reference stylesheets that lxml ships (include, abstract
patterns, then SVRL), run by libxslt; only the last step is told to
write an XSLT 2.0 stylesheet for the xslt2 binding, which the skeleton
otherwise refuses.  The compiled rules run in saxonche.
"""

import dataclasses
import functools
import os
from collections.abc import Sequence
from pathlib import Path

from lxml import etree, isoschematron
from saxonche import PySaxonProcessor, PyXsltExecutable

__all__ = ['RULES', 'Finding', 'validation_dir', 'rules', 'validate',
    'fatal']

RULES = ('CEN-EN16931-UBL.sch', 'PEPPOL-EN16931-UBL.sch')
SVRL = {'svrl': 'http://purl.oclc.org/dsdl/svrl'}
_SKELETON = (Path(isoschematron.__file__).parent
    / 'resources' / 'xsl' / 'iso-schematron-xslt1')

# The xslt1 skeleton with its root template for queryBinding="xslt2":
# the same stylesheet body, declared as XSLT 2.0.
_XSLT2_BINDING = f'''\
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:axsl="http://www.w3.org/XSL/TransformAlias"
    xmlns:iso="http://purl.oclc.org/dsdl/schematron">
  <xsl:import href="{(_SKELETON / 'iso_svrl_for_xslt1.xsl').as_uri()}"/>
  <xsl:namespace-alias stylesheet-prefix="axsl" result-prefix="xsl"/>
  <xsl:template match="iso:schema[@queryBinding='xslt2']" priority="20">
    <axsl:stylesheet>
      <xsl:apply-templates select="iso:ns"/>
      <xsl:attribute name="version">2.0</xsl:attribute>
      <xsl:apply-templates select="." mode="stylesheetbody"/>
    </axsl:stylesheet>
  </xsl:template>
</xsl:stylesheet>
'''


@dataclasses.dataclass(frozen=True)
class Finding:
    """A failed assert of the rules."""

    id: str
    flag: str
    text: str
    location: str


def validation_dir() -> Path:
    """Return the folder of the official rule files."""
    default = Path(__file__).parents[2] / '..' / 'shared' / 'validation'
    return Path(os.environ.get('CHOO_EHF_VALIDATION', default)).resolve()


def _compile(schematron: Path) -> bytes:
    include = etree.XSLT(etree.parse(
            str(_SKELETON / 'iso_dsdl_include.xsl')))
    expand = etree.XSLT(etree.parse(
            str(_SKELETON / 'iso_abstract_expand.xsl')))
    svrl = etree.XSLT(etree.XML(_XSLT2_BINDING.encode()))
    schema = expand(include(etree.parse(str(schematron))))
    compiled = svrl(schema, **{'allow-foreign': "'true'"})
    return etree.tostring(compiled)


@functools.cache
def _processor() -> PySaxonProcessor:
    return PySaxonProcessor(license=False)


@functools.cache
def rules() -> tuple[PyXsltExecutable, ...]:
    """Return the rule files compiled to run, once per process."""
    xslt = _processor().new_xslt30_processor()
    executables = []
    for name in RULES:
        path = validation_dir() / name
        executables.append(xslt.compile_stylesheet(
                stylesheet_text=_compile(path).decode(),
                base_uri=path.as_uri()))
    return tuple(executables)


def validate(document: bytes) -> list[Finding]:
    """Return every failed assert of both rule files on *document*."""
    node = _processor().parse_xml(xml_text=document.decode('utf-8'))
    findings = []
    for executable in rules():
        report = etree.fromstring(
            executable.transform_to_string(xdm_node=node).encode('utf-8'))
        for failed in report.iterfind('.//svrl:failed-assert', SVRL):
            findings.append(Finding(
                    id=failed.get('id', ''),
                    flag=failed.get('flag', ''),
                    text=' '.join(failed.findtext(
                            'svrl:text', '', SVRL).split()),
                    location=failed.get('location', '')))
    return findings


def fatal(findings: Sequence[Finding]) -> list[Finding]:
    """Return the findings that make a document invalid."""
    return [finding for finding in findings if finding.flag == 'fatal']
