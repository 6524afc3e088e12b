"""Every translatable string of a Choo module has its Bokmål text.

All the Choo modules are activated in one test database.  Tryton's *Set
Translations* wizard (``ir.translation.set``) then adds the strings of the
views and reports to the sources Tryton registered on activation (model
names, fields, help texts, selection values, wizard buttons and the
translatable fields of the XML records: menus, actions, messages, buttons,
rule groups, sequences, groups).  Tryton's own export lists the English
source entries of each module; each module's ``locale/nb.po`` is read by
Tryton's import and exported back, and every English entry must have a
non-empty, non-fuzzy Bokmål entry of the same context and text.  A text
that reads the same in both languages ("KID", "EHF", "IBAN") still needs
its entry, with the msgstr equal to the msgid.
"""
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted(
    path.parent.name for path in REPO.glob('choo_*/tryton.cfg'))
LANGUAGE = 'nb'


@pytest.fixture(scope='module')
def translations():
    """Return per module the English sources and the Bokmål entries

    Both as {(msgctxt, msgid): POEntry}, from Tryton's export.
    """
    from trytond.tests.test_tryton import (
        CONTEXT, DB_NAME, USER, activate_module, drop_db)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    drop_db()
    activate_module(MODULES)
    result = {}
    try:
        with Transaction().start(
                DB_NAME, USER, context=CONTEXT) as transaction:
            pool = Pool()
            Translation = pool.get('ir.translation')
            TranslationSet = pool.get('ir.translation.set', type='wizard')

            # Extract the strings of the views and reports, as the wizard
            # does from Administration > Localization.
            session_id, _, _ = TranslationSet.create()
            TranslationSet(session_id).transition_set_()
            TranslationSet.delete(session_id)

            for module in MODULES:
                path = REPO / module / 'locale' / f'{LANGUAGE}.po'
                if path.exists():
                    Translation.translation_import(
                        LANGUAGE, module, str(path))
                result[module] = (
                    _entries(Translation.translation_export('en', module)),
                    _entries(Translation.translation_export(
                            LANGUAGE, module)))
            transaction.rollback()
    finally:
        drop_db()
    return result


def _entries(content):
    "Return the entries of the exported PO file as {(msgctxt, msgid): entry}"
    if not content:
        return {}
    return {
        (entry.msgctxt, entry.msgid): entry
        for entry in polib.pofile(content.decode('utf-8'))
        if entry.msgid and not entry.obsolete}


def _translated(entry):
    if entry is None or entry.fuzzy:
        return False
    if entry.msgid_plural:
        return bool(entry.msgstr_plural) and all(
            value.strip() for value in entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


@pytest.mark.parametrize('module', MODULES)
def test_module_translated(translations, module):
    "Test every translatable string of the module has its Bokmål text"
    sources, translated = translations[module]
    assert sources, f"Tryton lists no translatable string of {module}"
    missing = sorted(
        key for key in sources if not _translated(translated.get(key)))
    if missing:
        pytest.fail(
            f"{len(missing)} of {len(sources)} strings of {module} have no "
            f"Bokmål text in {module}/locale/{LANGUAGE}.po:\n"
            + '\n'.join(
                f"  {module}  msgctxt {ctxt!r}  msgid {msgid!r}"
                for ctxt, msgid in missing),
            pytrace=False)
