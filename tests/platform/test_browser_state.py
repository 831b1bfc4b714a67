"""Sessions, the session user and messages run for browser requests only: an API call without a
session cookie skips them (it has nothing for them to do), one with the admin's cookie does not."""

import pytest
from django.contrib.sessions.models import Session

from tests.support.accounts import STRONG_PASSWORD, bearer, signed_up

pytestmark = pytest.mark.django_db(databases="__all__")


def test_an_api_call_without_a_session_cookie_creates_no_session_and_sets_no_cookie(client):
    me = signed_up(client)
    response = client.get("/api/v1/session", headers=bearer(me.access))
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not Session.objects.exists()


def test_the_admin_still_signs_staff_in_with_a_session(client, django_user_model):
    staff = django_user_model.objects.create_superuser("jefa-sesion@example.com", STRONG_PASSWORD)
    login = client.post("/admin/login/?next=/admin/", {"username": staff.email, "password": STRONG_PASSWORD})
    assert login.status_code == 302, login.content
    assert "sessionid" in client.cookies
    assert client.get("/admin/").status_code == 200
    # An /api/ request carrying the cookie keeps its session user: tests/professionals'
    # test_staff_fetch_any_document_by_token_or_admin_session (KYC documents for staff's browser).
