"""What staff do in Django admin, step by step, through the page as a person would: the login
form, the index's links, the queue and its filter, a professional's page with the document
previews and the decision panel, the bulk actions of the list."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, Response, expect

DOCUMENT_ROUTE = "/api/v1/professional/kyc/documents/"
PREVIEW_IMAGES = f'img[src*="{DOCUMENT_ROUTE}"]'


def submit_login(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Contraseña").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Identificarse").click()


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    submit_login(page, email, password)
    expect(page.locator("#user-tools")).to_contain_text(email)


def login_error(page: Page) -> Locator:
    return page.locator("#content p.errornote")


def open_kyc_queue(page: Page) -> None:
    """From the admin index, the professionals list: with no filter chosen it is the review queue."""
    page.goto("/admin/")
    with page.expect_navigation():
        page.locator('a[href$="/admin/professionals/professional/"]').first.click()
    kyc_filter = page.locator('#changelist-filter details[data-filter-title="verificación (KYC)"]')
    expect(kyc_filter.locator("li.selected")).to_have_text("En revisión (cola)")


def queue_rows(page: Page) -> Locator:
    return page.locator("#result_list tbody tr")


def queue_names(page: Page) -> list[str]:
    return [name.strip() for name in page.locator("#result_list tbody tr th").all_inner_texts()]


def open_professional(page: Page, name: str) -> list[Response]:
    """Clicks the professional in the queue; returns the document responses the page loaded."""
    loaded: list[Response] = []

    def keep(response: Response) -> None:
        if DOCUMENT_ROUTE in response.url:
            loaded.append(response)

    page.on("response", keep)
    try:
        with page.expect_navigation(wait_until="load"):  # "load" comes after every <img> is fetched
            page.locator("#result_list").get_by_role("link", name=name, exact=True).click()
    finally:
        page.remove_listener("response", keep)
    expect(page.locator("#kyc-decision")).to_be_visible()
    return loaded


def preview_sizes(page: Page) -> list[tuple[int, int]]:
    """(naturalWidth, naturalHeight) of each preview; (0, 0) for an image the browser could not show."""
    sizes = page.locator(PREVIEW_IMAGES).evaluate_all(
        "images => images.map(img => img.complete ? [img.naturalWidth, img.naturalHeight] : [0, 0])"
    )
    return [tuple(size) for size in sizes]


def open_first_pdf(page: Page) -> tuple[Response, Page]:
    """Clicks the first "Abrir PDF" link; returns the document's response and the tab it opened."""
    link = page.get_by_role("link", name="Abrir PDF").first
    with page.context.expect_event("response", lambda r: DOCUMENT_ROUTE in r.url) as pdf, page.expect_popup() as tab:
        link.click()
    return pdf.value, tab.value


def write_reject_reason(page: Page, motivo: str) -> None:
    page.locator("#kyc-reject-form").get_by_label("Motivo del rechazo").fill(motivo)


def submit_reject(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#kyc-reject-form").get_by_role("button", name="Rechazar con este motivo").click()


def approve(page: Page) -> None:
    with page.expect_navigation():
        page.locator("#kyc-approve-form").get_by_role("button", name="Aprobar verificación").click()


def run_action_on(page: Page, names: list[str], action: str) -> list[str]:
    """Ticks the named rows and runs the list's `action`; returns the lines the action's
    intermediate page lists."""
    for name in names:
        queue_rows(page).filter(has_text=name).locator("input.action-select").check()
    page.locator("select[name=action]").select_option(action)
    with page.expect_navigation():
        page.get_by_role("button", name="Ejecutar").click()
    expect(page.locator("body.action-with-form")).to_be_visible()
    return page.locator("#content ul li").all_inner_texts()


def confirm_action(page: Page, *, motivo: str, submit_label: str) -> None:
    page.get_by_label("Motivo del rechazo").fill(motivo)
    with page.expect_navigation():
        page.get_by_role("button", name=submit_label, exact=True).click()


def success_message(page: Page) -> Locator:
    return page.locator("ul.messagelist li.success")
