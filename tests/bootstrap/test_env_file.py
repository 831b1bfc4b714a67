"""The checkout's .env (make run writes one): every manage.py there reads it, the real environment
wins over it, a production start never takes the development key from it, and the tests never take
a developer's settings from it (only where the database is)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bootstrap.checkout import clean_env, copy_checkout, manage

PRINT = """
import json
from django.conf import settings
default = settings.DATABASES["default"]
print(json.dumps({
    "env": settings.CONECTAR_ENV, "key": settings.SECRET_KEY, "debug": settings.DEBUG,
    "database": [default["USER"], default["PORT"], default["NAME"]],
}))
"""
DEVELOPMENT = """# as scripts/bootstrap.sh writes it
DATABASE_URL=postgres://conectar:secret@127.0.0.1:5999/elsewhere
CONECTAR_ENV=development
SECRET_KEY=development-key-from-the-env-file-0123456789-0123456789
DEBUG=true
"""


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return copy_checkout(tmp_path_factory.mktemp("checkout"))


def settings_seen(checkout: Path, env_file: str | None, **env: str) -> dict:
    (checkout / ".env").unlink(missing_ok=True)
    if env_file is not None:
        (checkout / ".env").write_text(env_file)
    done = manage(checkout, "shell", "-c", PRINT, env=clean_env(**env))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_manage_py_takes_make_runs_settings_from_the_env_file(checkout):
    seen = settings_seen(checkout, DEVELOPMENT)
    assert seen == {
        "env": "development",
        "key": "development-key-from-the-env-file-0123456789-0123456789",
        "debug": True,
        "database": ["conectar", 5999, "elsewhere_auth_ctx"],
    }
    check = manage(checkout, "check", env=clean_env())
    assert check.returncode == 0, check.stderr[-3000:]


def test_the_real_environment_wins_over_the_env_file(checkout):
    seen = settings_seen(checkout, DEVELOPMENT, SECRET_KEY="from-the-environment", DEBUG="false")
    assert (seen["key"], seen["debug"]) == ("from-the-environment", False)


def test_production_without_its_secrets_refuses_to_start(checkout):
    for env_file in (None, DEVELOPMENT):  # no .env, and make run's (its key is development's)
        (checkout / ".env").unlink(missing_ok=True)
        if env_file:
            (checkout / ".env").write_text(env_file)
        done = manage(checkout, "check", env=clean_env(CONECTAR_ENV="production"))
        assert done.returncode != 0
        assert "ImproperlyConfigured: Set the SECRET_KEY environment variable" in done.stderr


def test_a_production_env_file_is_read_whole(checkout):
    """An operator's .env for production (no development settings in it) still works."""
    seen = settings_seen(
        checkout,
        "CONECTAR_ENV=production\nSECRET_KEY=production-key-from-the-env-file\nALLOWED_HOSTS=api.example\nNOTIFY_CHANNELS=\n",
        CONECTAR_ENV="production",
    )
    assert (seen["env"], seen["key"], seen["debug"]) == ("production", "production-key-from-the-env-file", False)


def test_the_tests_take_only_the_database_from_a_developers_env_file(checkout):
    seen = settings_seen(checkout, DEVELOPMENT, DJANGO_SETTINGS_MODULE="tests.settings")
    assert seen["env"] == "test"
    assert seen["debug"] is False
    assert seen["key"] != "development-key-from-the-env-file-0123456789-0123456789"
    assert seen["database"] == ["conectar", 5999, "elsewhere_auth_ctx"]  # the role bootstrap created
