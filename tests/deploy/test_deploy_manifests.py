"""`make lint`'s deployment check (lint/check_deploy.py): it passes on the real image, compose file
and Kubernetes overlays, and fails on each kind of mistake it exists for — a Deployment without its
selector, a second beat, a probe off the health routes, an unpinned image, a real value in a Secret,
a single-stage or root image, `latest` in compose. Its kustomize renderer is held to the semantics
the overlays rely on. And the settings behind the pooler: DB_TRANSACTION_POOLING and the outbox
listener's direct connection (DATABASE_DIRECT_URL)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml
from django.db import connections

from conectar.platform.eventbus import listener
from lint import check_deploy

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of deploy/kubernetes to break."""
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUBERNETES, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def kubernetes_check(tree: Path, capsys) -> tuple[int, str]:
    code = check_deploy.main(["--only", "kubernetes", "--kubernetes", str(tree)])
    return code, capsys.readouterr().out


def test_the_real_image_compose_file_and_manifests_pass(capsys):
    code = check_deploy.main([])
    out = capsys.readouterr().out
    assert code == 0, out
    for overlay in ("monolith", "monolith/migrate", "split", "split/migrate"):
        assert f"ok   kubernetes/overlays/{overlay}: " in out
    assert "FAIL" not in out


def test_a_deployment_without_its_selector_fails(tree, capsys):
    edit(
        tree / "base/app/web.yaml",
        "  selector:\n    matchLabels: {app.kubernetes.io/name: conectar, app.kubernetes.io/component: web}\n",
        "",
    )
    code, out = kubernetes_check(tree, capsys)
    assert code == 1
    assert "FAIL overlays/monolith: Deployment/conectar-web: spec: 'selector' is a required property" in out
    assert "FAIL overlays/split: Deployment/conectar-web:" in out


def test_a_field_the_schema_does_not_know_fails(tree, capsys):
    edit(tree / "base/app/websocket.yaml", "  revisionHistoryLimit: 5\n", "  revisionHistoryLimit: 5\n  replica: 3\n")
    code, out = kubernetes_check(tree, capsys)
    assert code == 1
    assert "Deployment/conectar-websocket" in out
    assert "replica" in out


def test_a_second_beat_fails(tree, capsys):
    edit(tree / "base/app/beat.yaml", "  replicas: 1\n", "  replicas: 2\n")
    code, out = kubernetes_check(tree, capsys)
    assert code == 1
    assert "Deployment/conectar-beat: beat must be one replica, strategy Recreate, never autoscaled" in out


def test_probes_off_the_health_routes_and_a_service_without_pods_fail(tree, capsys):
    edit(tree / "base/app/web.yaml", "path: /health/ready", "path: /api/v1/health")
    edit(
        tree / "base/app/websocket.yaml",
        "  selector: {app.kubernetes.io/name: conectar, app.kubernetes.io/component: websocket}",
        "  selector: {app.kubernetes.io/component: ws}",
    )
    code, out = kubernetes_check(tree, capsys)
    assert code == 1
    assert "Deployment/conectar-web: web probes must be /health/ready (readiness), /health/live" in out
    assert "Service/conectar-websocket: selector {'app.kubernetes.io/component': 'ws'} matches no pods" in out


def test_an_unpinned_image_a_real_secret_and_migrations_of_another_release_fail(tree, capsys):
    edit(tree / "overlays/monolith/kustomization.yaml", "    newTag: 0.1.0\n", "")
    edit(tree / "overlays/split/migrate/kustomization.yaml", "newTag: 0.1.0", "newTag: 0.0.9")
    edit(tree / "base/config/secret.yaml", "  SECRET_KEY: CHANGE-ME", "  SECRET_KEY: s3cr3t-value")
    code, out = kubernetes_check(tree, capsys)
    assert code == 1
    assert "'registry.conectar.example/conectar' is not pinned to a tag" in out
    assert "Secret/conectar-secrets: SECRET_KEY must be a placeholder (CHANGE-ME), never a value" in out
    assert "overlays/split/migrate: image ['registry.conectar.example/conectar:0.0.9'] differs" in out


def test_the_renderer_refuses_what_it_does_not_implement(tree, capsys):
    edit(
        tree / "overlays/monolith/kustomization.yaml", "namespace: conectar\n", "namespace: conectar\nnamePrefix: x-\n"
    )
    code, out = kubernetes_check(tree, capsys)
    assert code == 1
    assert "not supported by lint/check_deploy.py's renderer: namePrefix" in out


def write(path: Path, documents) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(documents) if isinstance(documents, list) else yaml.safe_dump(documents))
    return path


def test_the_renderer_merges_patches_as_kustomize_does(tmp_path):
    """What the overlays rely on: a base within a base, containers merged by name (a new one after
    the others, in the patch's order), a map merged key by key, a resource deleted, then the
    namespace, labels and image on everything."""
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": {"spec": {"initContainers": [{"name": "a", "image": "conectar", "args": ["a"]}]}}},
    }
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"A": "1", "B": "2"}}
    write(tmp_path / "base/resources.yaml", [job, config])
    write(tmp_path / "base/kustomization.yaml", {"resources": ["resources.yaml"], "labels": [{"pairs": {"p": "q"}}]})
    write(
        tmp_path / "overlay/kustomization.yaml",
        {
            "namespace": "ns",
            "resources": ["../base"],
            "patches": [{"path": "containers.yaml"}, {"path": "config.yaml"}, {"path": "delete.yaml"}],
            "images": [{"name": "conectar", "newName": "r/conectar", "newTag": "1.2"}],
        },
    )
    write(
        tmp_path / "overlay/containers.yaml",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {
                "template": {
                    "spec": {
                        "initContainers": [
                            {"name": "a", "env": [{"name": "X", "value": "1"}]},
                            {"name": "b", "image": "conectar", "args": ["b"]},
                            {"name": "c", "image": "other:3", "args": ["c"]},
                        ]
                    }
                }
            },
        },
    )
    write(
        tmp_path / "overlay/config.yaml",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"B": "3", "C": "4"}},
    )
    write(
        tmp_path / "overlay/delete.yaml",
        {"$patch": "delete", "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
    )

    (rendered,) = check_deploy.render(tmp_path / "overlay")

    assert rendered["metadata"] == {"name": "j", "labels": {"p": "q"}, "namespace": "ns"}
    assert rendered["spec"]["template"]["spec"]["initContainers"] == [
        {"name": "a", "image": "r/conectar:1.2", "args": ["a"], "env": [{"name": "X", "value": "1"}]},
        {"name": "b", "image": "r/conectar:1.2", "args": ["b"]},
        {"name": "c", "image": "other:3", "args": ["c"]},
    ]
    write(tmp_path / "overlay/kustomization.yaml", {"resources": ["../base"], "patches": [{"path": "config.yaml"}]})
    assert next(r for r in check_deploy.render(tmp_path / "overlay") if r["kind"] == "ConfigMap")["data"] == {
        "A": "1",
        "B": "3",
        "C": "4",
    }


DOCKERFILE_ONE_STAGE_AS_ROOT = """\
FROM python:latest
COPY . /app
RUN pip install /app
CMD ["web"]
"""


def test_a_single_stage_root_image_from_latest_fails(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE_ONE_STAGE_AS_ROOT)
    problems = check_deploy.dockerfile_problems(dockerfile, ROOT / ".dockerignore")
    assert "FROM python:latest: pin the base image to a tag (never latest)" in problems
    assert "one stage: build the wheels in a stage of their own, then a slim runtime" in problems


def test_a_runtime_stage_that_resolves_compiles_and_runs_as_root_fails(tmp_path):
    text = (ROOT / "docker/Dockerfile").read_text()
    text = text.replace("WORKDIR /app\n", "RUN pip install -r requirements/base.txt\nWORKDIR /app\n")
    text = text.replace("libgdal32 libgeos-c1v5", "gcc libgdal-dev libgeos-c1v5")
    text = text.replace("USER 10001:10001", "USER root")
    text = text.replace("HEALTHCHECK --interval", "# HEALTHCHECK --interval")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    problems = "\n".join(check_deploy.dockerfile_problems(dockerfile, ROOT / ".dockerignore"))
    assert "runtime stage installs from an index" in problems
    assert "runtime stage installs build tools: gcc, libgdal-dev" in problems
    assert "numeric non-root USER" in problems
    assert "runtime stage has no HEALTHCHECK" in problems


def test_a_dockerignore_that_lets_the_checkout_in_fails(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    shutil.copy(ROOT / "docker/Dockerfile", dockerfile)
    dockerignore = tmp_path / ".dockerignore"
    dockerignore.write_text("**/__pycache__\n.git\n")
    problems = check_deploy.dockerfile_problems(dockerfile, dockerignore)
    assert ".dockerignore: .env would be sent to the build" in problems
    assert ".dockerignore: .venv/bin/python would be sent to the build" in problems
    assert ".dockerignore: .git/HEAD would be sent to the build" not in problems


def test_compose_with_latest_an_optional_metrics_token_and_no_bucket_job_fails(tmp_path):
    compose = yaml.safe_load((ROOT / "docker/compose.yml").read_text())
    compose["services"]["minio"]["image"] = "minio/minio:latest"
    compose["services"]["prometheus"]["environment"]["METRICS_TOKEN"] = "${METRICS_TOKEN:-}"
    compose["services"]["web"]["depends_on"] = {"payments": {"condition": "service_started"}}
    del compose["services"]["setup-storage"]
    path = write(tmp_path / "compose.yml", compose)
    roles = check_deploy.entrypoint_roles(ROOT / "docker/entrypoint.sh")
    problems = check_deploy.compose_problems(path, roles)
    assert "minio: image minio/minio:latest is not pinned to a tag (never latest)" in problems
    assert any(p.startswith("prometheus: METRICS_TOKEN must be required") for p in problems)
    assert "web: depends on payments, which only the split profile starts" in problems
    assert "no setup-storage job: nothing creates the buckets" in problems
    assert "web: depends on setup-storage, which does not exist" not in problems  # web's own list replaced


def test_every_role_the_deployments_name_is_one_of_the_entrypoints():
    roles = check_deploy.entrypoint_roles(ROOT / "docker/entrypoint.sh")
    assert roles >= {"web", "websocket", "worker", "notifier", "beat", "migrate", "setup-storage", "healthcheck"}


# --- behind PgBouncer ------------------------------------------------------------------------------

PRINT_DATABASES = """
import json
from django.conf import settings
print(json.dumps({
    "pooled": {
        a: [c["HOST"], c["NAME"], c.get("DISABLE_SERVER_SIDE_CURSORS", False)] for a, c in settings.DATABASES.items()
    },
    "direct": {a: [c["HOST"], c["NAME"]] for a, c in settings.DIRECT_DATABASES.items()},
}))
"""


def databases_with(**env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if "DATABASE" not in k and k != "DB_TRANSACTION_POOLING"}
    base.update(CONECTAR_ENV="test", DJANGO_SETTINGS_MODULE="conectar.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PRINT_DATABASES}"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_transaction_pooling_turns_server_side_cursors_off_and_the_listener_gets_the_server_itself():
    found = databases_with(
        DATABASE_URL="postgres://conectar:pw@pgbouncer:6432/conectar",
        DATABASE_DIRECT_URL="postgres://conectar:pw@postgres:5432/conectar",
        PAYMENTS_DATABASE_DIRECT_URL="postgres://conectar:pw@payments-db:5432/payments",
        DB_TRANSACTION_POOLING="true",
    )
    assert found["pooled"]["users"] == ["pgbouncer", "conectar_users", True]
    assert all(disabled for _host, _name, disabled in found["pooled"].values())
    assert found["direct"]["users"] == ["postgres", "conectar_users"]
    assert found["direct"]["default"] == ["postgres", "conectar_auth_ctx"]
    assert found["direct"]["payments"] == ["payments-db", "payments"]


def test_without_a_pooler_nothing_changes():
    found = databases_with(DATABASE_URL="postgres://conectar:pw@postgres:5432/conectar")
    assert found["direct"] == {}
    assert not any(disabled for _host, _name, disabled in found["pooled"].values())


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.django_db
def test_the_outbox_listener_listens_through_the_direct_connection(settings):
    direct = dict(connections["default"].settings_dict)
    settings.DIRECT_DATABASES = {"default": direct}
    conn = listener._connect("default")
    try:
        conn.execute("NOTIFY eventbus_outbox")
        assert [n.channel for n in conn.notifies(timeout=2, stop_after=1)] == ["eventbus_outbox"]
    finally:
        conn.close()

    # Pointed elsewhere, it goes there, not to the alias's own (pooled) address.
    settings.DIRECT_DATABASES = {"default": {**direct, "HOST": "127.0.0.1", "PORT": str(closed_port())}}
    with pytest.raises(psycopg.OperationalError):
        listener._connect("default")
