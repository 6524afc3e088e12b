"""A bookkeeper logs in to sao and finds the demo's customer invoices."""
import re
import xmlrpc.client

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect
except ImportError:
    # The browser fixture skips, or fails on CI, without playwright.
    pass

MENU_XML_ID = ('account_invoice', 'menu_invoice_out_form')
PANE = '#tabcontent > .tab-pane.active'
# sao shows rows by pages and loads the next one when its More button
# scrolls into view.
SHOW_ALL_ROWS = """([pane, count]) => {
    const view = document.querySelector(pane + ' .treeview');
    const more = view.querySelector('tr.more-row button');
    if (more) {
        more.scrollIntoView();
        return false;
    }
    return view.querySelectorAll('tbody tr:not(.more-row)').length >= count;
}"""


def test_customer_invoices_listed(page, trytond_server, artifacts):
    proxy, context = rpc(trytond_server)
    numbers = customer_invoice_numbers(proxy, context)
    menu_path = menu_names(proxy, context, *MENU_XML_ID)
    assert numbers, "the demo database has no customer invoice"

    log_in(page, trytond_server)
    page.screenshot(path=artifacts / 'sao_after_login.png', full_page=True)

    open_menu(page, menu_path)
    show_all_tab(page, len(numbers))
    rows = show_all_rows(page, len(numbers))
    fit_list_to_viewport(page)
    page.screenshot(
        path=artifacts / 'sao_customer_invoices.png', full_page=True)

    listed = {text for row in rows for text in row}
    assert {n for n in numbers if n} <= listed


def rpc(server):
    "Return the server's XML-RPC proxy and the user's context"
    scheme, address = server.url.split('://')
    proxy = xmlrpc.client.ServerProxy(
        f'{scheme}://{server.login}:{server.password}@{address}'
        f'/{server.database}/rpc/',
        allow_none=True, use_builtin_types=True)
    return proxy, proxy.model.res.user.get_preferences(True, {})


def customer_invoice_numbers(proxy, context):
    "Return the number of each customer invoice, None for drafts"
    invoices = proxy.model.account.invoice.search_read(
        [('type', '=', 'out')], 0, None, None, ['number'], context)
    return [i['number'] for i in invoices]


def menu_names(proxy, context, module, xml_id):
    "Return the names from the root to the menu in the user's language"
    menu_id = proxy.model.ir.model.data.get_id(module, xml_id, context)
    names = []
    while menu_id:
        menu, = proxy.model.ir.ui.menu.read(
            [menu_id], ['name', 'parent'], context)
        names.insert(0, menu['name'])
        menu_id = menu['parent']
    return names


def log_in(page, server):
    "Log in through sao's dialogs: database and user, then password"
    page.goto(server.url + '/')
    dialog = page.locator('.login-dialog')
    select = dialog.locator('select#database')
    entry = dialog.locator('input#database')
    dialog.locator('input#login').wait_for()
    # sao fills in the database once the server has listed them.
    page.wait_for_load_state('networkidle')
    if select.is_visible():
        select.select_option(server.database)
    elif not entry.input_value():
        entry.fill(server.database)
    assert server.database in (select.input_value(), entry.input_value())
    dialog.locator('input#login').fill(server.login)
    dialog.locator('button[type=submit]').click()

    password = page.locator('#ask-dialog-entry')
    password.fill(server.password)
    page.locator('.modal', has=password).locator(
        '.modal-footer .btn-primary').click()
    close_login_wizards(page)


def close_login_wizards(page):
    "Close the wizards run at login, like the module configuration"
    menu_entry = page.locator('#menu .column-char').first
    wizard = page.locator('#tabcontent .wizard')
    while True:
        menu_entry.or_(wizard).first.wait_for()
        if not wizard.first.is_visible():
            return
        wizard.first.get_by_role('button', name='Cancel').click()
        wizard.first.wait_for(state='detached')


def open_menu(page, names):
    "Click through the menu tree down to the last name"
    for name in names:
        page.locator('#menu').get_by_title(name, exact=True).first.click()
    expect(page.locator('#tablist li.active')).to_contain_text(names[-1])


def show_all_tab(page, count):
    "Select the action's last tab domain, the one without a state filter"
    pane = page.locator(PANE)
    tab = pane.locator('.nav-tabs li').last
    tab.locator('a').click()
    expect(tab).to_have_class(re.compile(r'\bactive\b'))
    expect(pane.locator('.navbar-text .badge')).to_have_text(f'_/{count}')


def show_all_rows(page, count):
    "Scroll the list until it shows count rows; return their cell texts"
    rows = page.locator(PANE).locator('.treeview tbody tr:not(.more-row)')
    try:
        page.wait_for_function(SHOW_ALL_ROWS, arg=[PANE, count])
    except PlaywrightTimeoutError:
        pass  # the count below tells how many rows came
    shown = rows.count()
    assert shown == count, f"sao lists {shown} of {count} invoices"
    return rows.evaluate_all(
        'rows => rows.map(row => Array.from('
        'row.querySelectorAll(".column-char"), cell => cell.title))')


def fit_list_to_viewport(page):
    "Grow the viewport so that the screenshot shows the whole list"
    hidden = page.locator(PANE).locator('.treeview').evaluate(
        'view => view.scrollHeight - view.clientHeight')
    if hidden > 0:
        size = page.viewport_size
        page.set_viewport_size({
                'width': size['width'],
                'height': min(size['height'] + hidden + 20, 8000)})
