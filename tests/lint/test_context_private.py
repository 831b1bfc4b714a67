"""The `context_private` import-linter contract type (lint/context_private.py) on a tiny project
written to a temporary directory: what it refuses and what it lets through."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

PROJECT = {
    "shop/__init__.py": "",
    "shop/orders/__init__.py": "",
    "shop/orders/contracts.py": "",
    "shop/orders/facade.py": "from shop.orders import models\n",
    "shop/orders/models.py": "",
    "shop/orders/brand_new.py": "",  # listed nowhere: private all the same
    "shop/orders/http/__init__.py": "",
    "shop/orders/http/routes.py": "from shop.orders import facade\n",
    "shop/people/__init__.py": "",
    "shop/people/contracts.py": "",
    "shop/people/facade.py": "",
    "shop/people/models.py": "",
    "shop/people/http/__init__.py": "",
    "shop/gateway/__init__.py": "",
    "shop/gateway/urls.py": "from shop.orders.http import routes\n",
    "shop/urls.py": "from shop.people import http\n",
    "shoptests/__init__.py": "",
    "shoptests/orders/__init__.py": "",
    "shoptests/orders/test_models.py": "from shop.orders import models\n",
    "shoptests/support/__init__.py": "",
    "shoptests/support/orders.py": "from shop.orders import brand_new\n",
}


CONFIG = """
[importlinter]
root_packages =
    shop
    shoptests
contract_types =
    context_private: lint.context_private.ContextPrivateContract

[importlinter:contract:context-private]
name = context private
type = context_private
contexts =
    shop.orders
    shop.people
public =
    contracts
    facade
composers =
    shop.gateway
    shop.urls
composer_public = http
routes = http
routes_see = contracts
members =
    shoptests.{context}
    shoptests.support.{context}
"""
VIOLATION = re.compile(r"^- (\S+) -> (\S+) \(l\.")


def check(tmp_path, **extra_files) -> tuple[bool, list[tuple[str, str]]]:
    """lint-imports, as `make lint` runs it, on the tiny project: (kept, [(importer, imported)])."""
    for name, text in {**PROJECT, **extra_files, "importlinter.ini": CONFIG}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    # COLUMNS: one violation per line, unwrapped
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]), "COLUMNS": "500"}
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "importlinter.ini"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Contracts: 1 kept" in run.stdout or "Contracts: 0 kept, 1 broken" in run.stdout, run.stdout + run.stderr
    found = [VIOLATION.match(line) for line in run.stdout.splitlines()]
    return run.returncode == 0, [(m.group(1), m.group(2)) for m in found if m]


def test_facades_contracts_own_tests_and_the_gateway_mounting_http_are_allowed(tmp_path):
    kept, violations = check(
        tmp_path,
        **{"shop/people/service.py": "from shop.orders import contracts, facade\n"},
    )
    assert (kept, violations) == (True, [])


@pytest.mark.parametrize(
    ("importer", "source", "refused"),
    [
        ("shop/people/service.py", "from shop.orders import models\n", "shop.orders.models"),
        ("shop/people/service.py", "from shop.orders import brand_new\n", "shop.orders.brand_new"),
        ("shop/people/service.py", "from shop.orders.http import routes\n", "shop.orders.http.routes"),
        ("shoptests/people/test_x.py", "from shop.orders import models\n", "shop.orders.models"),
        ("shoptests/e2e.py", "from shop.orders import brand_new\n", "shop.orders.brand_new"),
        # a context's routes see other contexts' contracts only: the gateway composes
        ("shop/people/http/views.py", "from shop.orders import facade\n", "shop.orders.facade"),
    ],
)
def test_anything_else_is_private(tmp_path, importer, source, refused):
    files = {importer: source}
    if importer.startswith("shoptests/people/"):
        files["shoptests/people/__init__.py"] = ""
    kept, violations = check(tmp_path, **files)
    assert kept is False
    assert violations == [(importer.removesuffix(".py").replace("/", "."), refused)]


def test_routes_may_type_with_other_contexts_contracts(tmp_path):
    kept, _ = check(tmp_path, **{"shop/people/http/views.py": "from shop.orders import contracts\n"})
    assert kept is True
