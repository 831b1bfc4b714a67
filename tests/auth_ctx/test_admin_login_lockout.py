"""Django admin's login form under the API's failed-login lockout (same counters, both ways)."""

import pytest
from django.test import Client

from conectar.auth_ctx import lockout
from tests.support.accounts import STRONG_PASSWORD, login

pytestmark = pytest.mark.django_db(databases="__all__")

STAFF = "jefa.soporte@example.com"
WRONG = "Clave-Equivocada-1"
LOCKED = "Demasiados intentos fallidos"


def admin_login(password: str, *, ip: str = "10.1.0.1", email: str = STAFF) -> tuple[Client, str]:
    browser = Client(REMOTE_ADDR=ip)
    page = browser.post("/admin/login/?next=/admin/", {"username": email, "password": password}, follow=True)
    return browser, page.content.decode()


def signed_in(browser: Client) -> bool:
    return browser.get("/admin/").status_code == 200


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser(STAFF, STRONG_PASSWORD)


def test_five_failures_at_the_admin_form_lock_staff_out_even_with_the_right_password(staff):
    for n in range(lockout.EMAIL_LIMIT):
        browser, page = admin_login(WRONG, ip=f"10.1.0.{n}")
        assert not signed_in(browser)
        assert LOCKED not in page

    browser, page = admin_login(STRONG_PASSWORD, ip="10.1.9.9")

    assert LOCKED in page
    assert not signed_in(browser)


def test_the_lock_is_shared_with_the_api_login(staff, client):
    for _ in range(lockout.EMAIL_LIMIT):
        assert login(client, STAFF, WRONG).status_code == 401

    browser, page = admin_login(STRONG_PASSWORD)
    assert LOCKED in page
    assert not signed_in(browser)


def test_a_success_at_the_admin_form_clears_the_count(staff, client):
    for _ in range(lockout.EMAIL_LIMIT - 1):
        admin_login(WRONG)
    browser, _ = admin_login(STRONG_PASSWORD)
    assert signed_in(browser)

    for _ in range(lockout.EMAIL_LIMIT - 1):
        admin_login(WRONG)
    assert login(client, STAFF).status_code == 200
