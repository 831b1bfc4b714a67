import pytest
from django.core.management import call_command

from conectar.platform.eventbus.models import OutboxEvent
from conectar.professionals import facade as professionals
from conectar.professionals.contracts import DocumentUpload
from tests.support.accounts import STRONG_PASSWORD, admin_session, login, register, signed_up
from tests.support.files import image_bytes
from tests.support.professionals import approve, new_professional

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def admin(client, django_user_model):
    return admin_session(client, django_user_model)


def test_admin_lists_users_with_paging(client, admin):
    for n in range(5):
        register(client, email=f"lista{n}@example.com")
    page = client.get("/api/v1/admin/users", {"page": 2, "limit": 2}, headers=admin.headers).json()
    assert page["total"] == 6  # five people and the admin
    assert page["page"] == 2
    assert page["limit"] == 2
    assert page["totalPages"] == 3
    assert len(page["users"]) == 2
    assert {"id", "email", "nombre", "rol"} <= set(page["users"][0])


@pytest.mark.parametrize("query", [{"limit": 101}, {"limit": 0}, {"page": 0}, {"page": "x"}])
def test_paging_limits_are_422(client, admin, query):
    assert client.get("/api/v1/admin/users", query, headers=admin.headers).status_code == 422


def test_search_by_email_fragment(client, admin):
    register(client, email="martina.lopez@example.com")
    register(client, email="otro@example.com")
    found = client.get("/api/v1/admin/users/search", {"email": "MARTINA"}, headers=admin.headers).json()
    assert [u["email"] for u in found] == ["martina.lopez@example.com"]
    assert client.get("/api/v1/admin/users/search", {"email": "m"}, headers=admin.headers).status_code == 422


def test_ban_and_unban_publish_and_refuse_repeats(client, admin):
    user = register(client)
    banned = client.post(f"/api/v1/admin/users/{user['id']}/ban", headers=admin.headers)
    assert banned.status_code == 200
    assert banned.json()["is_active"] is False
    # v1's UserBanResponse keys over the UserRead
    assert banned.json()["user_id"] == banned.json()["id"] == user["id"]
    assert user["email"] in banned.json()["mensaje"]
    twice = client.post(f"/api/v1/admin/users/{user['id']}/ban", headers=admin.headers)
    assert twice.status_code == 400
    assert client.post(f"/api/v1/admin/users/{user['id']}/unban", headers=admin.headers).json()["is_active"] is True
    assert client.post(f"/api/v1/admin/users/{user['id']}/unban", headers=admin.headers).status_code == 400
    types = list(OutboxEvent.objects.using("default").values_list("event_type", flat=True))
    assert "auth_ctx.user_banned.v1" in types
    assert "auth_ctx.user_unbanned.v1" in types


def test_admins_cannot_be_banned(client, admin, django_user_model):
    other = admin_session(client, django_user_model)
    response = client.post(f"/api/v1/admin/users/{other.user_id}/ban", headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["code"] == "cannot_ban_admin"


def test_unknown_user_is_404(client, admin):
    missing = "00000000-0000-0000-0000-000000000001"
    assert client.get(f"/api/v1/users/{missing}", headers=admin.headers).status_code == 404
    assert client.post(f"/api/v1/admin/users/{missing}/ban", headers=admin.headers).status_code == 404


def test_staff_routes_are_staff_only(client):
    me, them = signed_up(client), signed_up(client)
    for method, path in [
        ("get", f"/api/v1/users/{them.user_id}"),
        ("get", "/api/v1/admin/users"),
        ("get", "/api/v1/admin/users/search?email=ex"),
        ("post", f"/api/v1/admin/users/{them.user_id}/ban"),
        ("post", f"/api/v1/admin/users/{them.user_id}/unban"),
        ("get", "/api/v1/admin/metrics/users"),
    ]:
        response = getattr(client, method)(path, headers=me.headers)
        assert response.status_code == 403, path
        assert response.json()["code"] == "permission_denied"


def test_admin_reads_any_user(client, admin):
    user = register(client, nombre="Eva")
    response = client.get(f"/api/v1/users/{user['id']}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["email"] == user["email"]


def test_user_metrics_compose_accounts_and_kyc_states(client, admin):
    register(client, rol="CLIENTE")
    register(client, rol="CLIENTE")
    waiting, approved, _not_submitted = (new_professional(client) for _ in range(3))
    # professionals is another context: its facade, as the upload route does
    dni = [DocumentUpload(kind=k, filename=f"{k}.jpg", content=image_bytes()) for k in ("DNI_FRENTE", "DNI_DORSO")]
    professionals.submit_kyc_documents(usuario_id=waiting.session.user_id, documents=dni)
    approve(approved)
    body = client.get("/api/v1/admin/metrics/users", headers=admin.headers).json()
    assert body == {
        "total_clientes": 2,
        "total_profesionales": 3,
        "total_pro_pendientes_kyc": 1,
        "total_pro_aprobados": 1,
    }


def test_createadmin_is_idempotent(client, django_user_model):
    call_command("createadmin", email="Jefa@Example.com", password=STRONG_PASSWORD)
    call_command("createadmin", email="jefa@example.com", password="otra-clave-cualquiera")
    admins = django_user_model.objects.filter(email="jefa@example.com")
    assert admins.count() == 1
    assert admins.get().role == "ADMIN"
    assert admins.get().is_staff
    assert login(client, "jefa@example.com").status_code == 200, "the password was not changed by the rerun"


def test_django_admin_lists_accounts_for_staff(client, django_user_model):
    register(client, email="visible@example.com")
    staff = django_user_model.objects.create_superuser("staff@example.com", STRONG_PASSWORD)
    client.force_login(staff)
    page = client.get("/admin/auth_ctx/account/", {"q": "visible"})
    assert page.status_code == 200
    assert "visible@example.com" in page.content.decode()
    assert client.get("/admin/users/profile/").status_code == 200
