"""`make lint`'s deployment checks, all offline: the image, compose and the Kubernetes manifests.

    python -m lint.check_deploy            # everything; exit 1 on any problem
    python -m lint.check_deploy --kubernetes deploy/kubernetes   # one part, or another tree (tests)

- **Image** (docker/Dockerfile, .dockerignore, docker/entrypoint.sh): multi-stage, every base image
  tagged (never `latest`), wheels built from the lock with hashes and installed with --no-index, no
  compiler in the runtime stage, a numeric non-root USER, a HEALTHCHECK, an ENTRYPOINT; the context
  leaves out .git, .venv, .env, var/, tests/, bench/. Plus hadolint where it is installed.
- **Compose** (docker/compose.yml): every image tagged, not `latest`; depends_on names services that
  exist (and a default-profile service never waits on a `split` one); a bucket job; METRICS_TOKEN
  required wherever it is read; every role exists in the entrypoint. Plus `docker compose config` (or
  docker-compose) for the default and the split profile wherever either is installed.
- **Kubernetes** (deploy/kubernetes/overlays/*, each with its migrate/): every overlay is rendered
  here, in Python, for the subset of kustomize the tree uses (resources, namespace, images, labels,
  patches: strategic merge and `$patch: delete`; anything else is refused, never ignored), and
  compared with `kubectl kustomize` where kubectl is installed. Every rendered manifest is validated
  against the Kubernetes KUBERNETES_VERSION schemas shipped by kubernetes-validate (strict: unknown
  fields are errors), then against what the schemas cannot say: selectors that match their pods,
  Services, autoscalers, budgets and Ingress backends that point at something, config references that
  exist, probes on the health routes, resources on every container, one beat, pinned images (the
  same in an overlay and its migrations), placeholder-only Secrets.
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES_VERSION = "1.30.0"
APP_IMAGE = "conectar"  # the name the bases use; each overlay sets the registry and the release tag
SECRET_PLACEHOLDER = "CHANGE-ME"  # noqa: S105 - the marker of a value to fill in, not a secret
SPLIT_PROFILE = "split"
MIN_STAGES = 2  # the wheels' build, then the runtime

# Strategic merge: the key that identifies an item of these lists (Kubernetes' patchMergeKey).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
}
KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "namespace", "images", "labels", "patches"}


class RenderError(Exception):
    pass


# --- kustomize, the subset this tree uses --------------------------------------------------------------


def _key(resource: dict) -> tuple[str, str]:
    return resource.get("kind", "?"), resource.get("metadata", {}).get("name", "?")


def _load_documents(path: Path) -> list[dict]:
    try:
        return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: not YAML: {exc}") from None


def _merge(original, patch):
    if isinstance(original, dict) and isinstance(patch, dict):
        merged = dict(original)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged and isinstance(value, list) and key in MERGE_KEYS:
                merged[key] = _merge_list(merged[key], value, MERGE_KEYS[key])
            elif key in merged:
                merged[key] = _merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    return copy.deepcopy(patch)  # scalars and lists without a merge key: replaced


def _merge_list(original: list, patch: list, merge_key: str) -> list:
    """Items of the patch update the original's of the same key, in place; new ones go after."""
    merged = [copy.deepcopy(item) for item in original]
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            raise RenderError(f"a patch item of a list merged by {merge_key!r} has none: {item!r}")
        if item.get("$patch"):
            raise RenderError(f"list directives are not supported here: {item!r}")
        at = next((i for i, old in enumerate(merged) if old.get(merge_key) == item[merge_key]), None)
        if at is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[at] = _merge(merged[at], item)
    return merged


def _apply_patch(resources: list[dict], patch: dict, source: Path) -> list[dict]:
    target = _key(patch)
    matches = [r for r in resources if _key(r) == target]
    if len(matches) != 1:
        raise RenderError(f"{source}: patch for {target[0]}/{target[1]} matches {len(matches)} resources")
    if patch.get("$patch") == "delete":
        return [r for r in resources if r is not matches[0]]
    if "$patch" in patch:
        raise RenderError(f"{source}: unsupported directive $patch: {patch['$patch']}")
    return [_merge(r, patch) if r is matches[0] else r for r in resources]


def pod_specs(resource: dict) -> Iterator[dict]:
    spec = resource.get("spec", {})
    if resource.get("kind") in {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}:
        yield spec.get("template", {}).get("spec", {})
    elif resource.get("kind") == "CronJob":
        yield spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})


def containers(resource: dict) -> Iterator[dict]:
    for pod in pod_specs(resource):
        yield from pod.get("initContainers", []) or []
        yield from pod.get("containers", []) or []


def _image_name(image: str) -> str:
    image = image.split("@", 1)[0]
    slash = image.rfind("/")
    colon = image.rfind(":")
    return image[:colon] if colon > slash else image


def _resources(directory: Path, kustomization: dict) -> list[dict]:
    resources: list[dict] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        resources += render(path) if path.is_dir() else _load_documents(path)
    keys = [_key(r) for r in resources]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise RenderError(f"{directory}: the same resource twice: {duplicates}")
    return resources


def _patched(directory: Path, kustomization: dict, resources: list[dict]) -> list[dict]:
    for entry in kustomization.get("patches", []):
        if set(entry) != {"path"}:
            raise RenderError(f"{directory}: only `patches: - path: <file>` is supported, not {entry}")
        source = directory / entry["path"]
        documents = _load_documents(source)
        if len(documents) != 1:
            raise RenderError(f"{source}: one patch per file")
        resources = _apply_patch(resources, documents[0], source)
    return resources


def _relabelled(directory: Path, kustomization: dict, resources: list[dict]) -> list[dict]:
    for entry in kustomization.get("labels", []):
        if set(entry) != {"pairs"}:
            raise RenderError(f"{directory}: only `labels: - pairs:` is supported (no selectors, no templates)")
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(entry["pairs"])
    if "namespace" in kustomization:
        for resource in resources:
            resource.setdefault("metadata", {})["namespace"] = kustomization["namespace"]
    return resources


def _retagged(directory: Path, kustomization: dict, resources: list[dict]) -> list[dict]:
    for entry in kustomization.get("images", []):
        if not set(entry) <= {"name", "newName", "newTag"}:
            raise RenderError(f"{directory}: images take name, newName and newTag only: {entry}")
        name = entry.get("newName", entry["name"])
        image = f"{name}:{entry['newTag']}" if entry.get("newTag") else name
        for container in (c for r in resources for c in containers(r)):
            if _image_name(container.get("image", "")) == entry["name"]:
                container["image"] = image
    return resources


def render(directory: Path) -> list[dict]:
    """The manifests `kustomize build directory` prints, for the subset of kustomize used here."""
    file = directory / "kustomization.yaml"
    if not file.is_file():
        raise RenderError(f"{directory}: no kustomization.yaml")
    kustomization = yaml.safe_load(file.read_text()) or {}
    unknown = set(kustomization) - KUSTOMIZATION_KEYS
    if unknown:
        raise RenderError(f"{file}: not supported by lint/check_deploy.py's renderer: {', '.join(sorted(unknown))}")
    resources = _resources(directory, kustomization)
    for step in (_patched, _relabelled, _retagged):
        resources = step(directory, kustomization, resources)
    return resources


def kubectl_kustomize(directory: Path) -> list[dict] | None:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return None
    result = subprocess.run(  # noqa: S603 - a fixed command on our own tree
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


# --- Kubernetes: schemas, then what the schemas cannot say ---------------------------------------------


def _where(resource: dict) -> str:
    kind, name = _key(resource)
    return f"{kind}/{name}"


def _matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pod_labels(resource: dict) -> dict:
    return resource.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {}) or {}


def schema_problems(resources: list[dict]) -> list[str]:
    problems = []
    for resource in resources:
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path) or "(top)"
            problems.append(f"{_where(resource)}: {path}: {exc.message}")
        except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as exc:
            problems.append(f"{_where(resource)}: {exc.message}")
        except (KeyError, TypeError) as exc:  # no apiVersion or kind: not a manifest at all
            problems.append(f"{_where(resource)}: not a Kubernetes object ({exc!r})")
    return problems


def _probe_paths(container: dict) -> dict[str, str | None]:
    return {
        kind: (container.get(kind) or {}).get("httpGet", {}).get("path")
        for kind in ("readinessProbe", "livenessProbe")
        if container.get(kind)
    }


def _reference_problems(container: dict, configmaps: dict, secrets: dict) -> list[str]:
    problems = []
    for source in container.get("envFrom", []) or []:
        for ref, known in (("configMapRef", configmaps), ("secretRef", secrets)):
            if ref in source and source[ref]["name"] not in known:
                problems.append(f"{ref} {source[ref]['name']} does not exist")
    for variable in container.get("env", []) or []:
        for ref, known in (("configMapKeyRef", configmaps), ("secretKeyRef", secrets)):
            key_ref = (variable.get("valueFrom") or {}).get(ref)
            target = (known.get(key_ref["name"]) or {}) if key_ref else {}
            if key_ref and key_ref["key"] not in {**target.get("data", {}), **target.get("stringData", {})}:
                problems.append(f"{ref} {key_ref['name']}/{key_ref['key']} does not exist")
    return problems


def _container_problems(resource: dict, configmaps: dict, secrets: dict) -> list[str]:
    problems = []
    for container in containers(resource):
        found = []
        limits = container.get("resources") or {}
        for part in ("requests", "limits"):
            missing = {"cpu", "memory"} - set(limits.get(part) or {})
            if missing:
                found.append(f"no {part} for {', '.join(sorted(missing))}")
        if not _pinned(container.get("image", "")):
            found.append(f"image {container.get('image')!r} is not pinned to a tag")
        found += _reference_problems(container, configmaps, secrets)
        problems += [f"{_where(resource)} container {container.get('name')}: {p}" for p in found]
    return problems


def _role(container: dict) -> str | None:
    return (container.get("args") or [None])[0]


def _deployment_problems(resource: dict, autoscaled: set[str]) -> list[str]:
    where, spec = _where(resource), resource.get("spec", {})
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not _matches(selector, _pod_labels(resource)):
        return [f"{where}: selector {selector} does not match its pod labels {_pod_labels(resource)}"]
    app = [c for pod in pod_specs(resource) for c in pod.get("containers", []) if _is_app(c)]
    if any(_role(c) == "beat" for c in app):
        single = spec.get("replicas") == 1 and (spec.get("strategy") or {}).get("type") == "Recreate"
        if not single or resource["metadata"]["name"] in autoscaled:
            return [f"{where}: beat must be one replica, strategy Recreate, never autoscaled"]
        return []
    problems = []
    for container in app:
        probes = _probe_paths(container)
        if set(probes) != {"readinessProbe", "livenessProbe"}:
            problems.append(f"{where} container {container.get('name')}: needs readiness and liveness probes")
        elif _role(container) in {"web", "websocket"} and (
            probes["readinessProbe"] != "/health/ready" or probes["livenessProbe"] != "/health/live"
        ):
            problems.append(f"{where}: {_role(container)} probes must be /health/ready (readiness), /health/live")
    return problems


def _service_problems(services: list[dict], deployments: list[dict]) -> list[str]:
    problems = []
    for service in services:
        spec = service.get("spec", {})
        if spec.get("type") == "ExternalName":
            continue
        pods = [r for r in deployments if _matches(spec.get("selector") or {}, _pod_labels(r))]
        if not pods:
            problems.append(f"{_where(service)}: selector {spec.get('selector')} matches no pods")
            continue
        ports = {v for c in containers(pods[0]) for p in c.get("ports") or [] for v in (p["name"], p["containerPort"])}
        for port in spec.get("ports", []):
            if port.get("targetPort", port.get("port")) not in ports:
                problems.append(f"{_where(service)}: targetPort {port.get('targetPort')} is no port of its pods")
    return problems


def _scaling_problems(by_kind: dict, deployments: list[dict]) -> list[str]:
    problems = []
    names = {r["metadata"]["name"] for r in deployments}
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        spec = hpa["spec"]
        if spec["scaleTargetRef"]["name"] not in names:
            problems.append(f"{_where(hpa)}: scales {spec['scaleTargetRef']['name']}, which does not exist")
        if spec.get("minReplicas", 1) > spec["maxReplicas"]:
            problems.append(f"{_where(hpa)}: minReplicas above maxReplicas")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        selector = (pdb["spec"].get("selector") or {}).get("matchLabels") or {}
        if not any(_matches(selector, _pod_labels(r)) for r in deployments):
            problems.append(f"{_where(pdb)}: selector {selector} matches no pods")
    return problems


def _ingress_problems(ingresses: list[dict], services: list[dict]) -> list[str]:
    problems = []
    ports = {
        s["metadata"]["name"]: {v for p in s.get("spec", {}).get("ports", []) for v in (p.get("name"), p.get("port"))}
        for s in services
    }
    for ingress in ingresses:
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                wanted = backend["port"].get("name") or backend["port"].get("number")
                if wanted not in ports.get(backend["name"], set()):
                    problems.append(f"{_where(ingress)}: {path['path']} goes to {backend}, which does not exist")
    return problems


def _secret_problems(secrets: list[dict]) -> list[str]:
    problems = []
    for secret in secrets:
        if secret.get("data"):
            problems.append(f"{_where(secret)}: use stringData placeholders, not data")
        for key, value in (secret.get("stringData") or {}).items():
            if SECRET_PLACEHOLDER not in str(value):
                problems.append(f"{_where(secret)}: {key} must be a placeholder ({SECRET_PLACEHOLDER}), never a value")
    return problems


def _is_app(container: dict) -> bool:
    return _image_name(container.get("image", "")).rsplit("/", 1)[-1] == APP_IMAGE


def manifest_problems(resources: list[dict], entrypoint_roles: set[str]) -> list[str]:
    by_kind: dict[str, list[dict]] = {}
    for resource in resources:
        by_kind.setdefault(resource.get("kind", "?"), []).append(resource)
    deployments = by_kind.get("Deployment", [])
    configmaps = {r["metadata"]["name"]: r for r in by_kind.get("ConfigMap", [])}
    secrets = {r["metadata"]["name"]: r for r in by_kind.get("Secret", [])}
    autoscaled = {r["spec"]["scaleTargetRef"]["name"] for r in by_kind.get("HorizontalPodAutoscaler", [])}
    problems = [
        f"{_where(r)}: role {_role(c)!r} is not one of docker/entrypoint.sh's"
        for r in resources
        for c in containers(r)
        if _is_app(c) and _role(c) not in entrypoint_roles
    ]
    for resource in deployments + by_kind.get("Job", []):
        problems += _container_problems(resource, configmaps, secrets)
    for resource in deployments:
        problems += _deployment_problems(resource, autoscaled)
    problems += _service_problems(by_kind.get("Service", []), deployments)
    problems += _scaling_problems(by_kind, deployments)
    problems += _ingress_problems(by_kind.get("Ingress", []), by_kind.get("Service", []))
    return problems + _secret_problems(by_kind.get("Secret", []))


def app_images(resources: list[dict]) -> set[str]:
    return {c["image"] for r in resources for c in containers(r) if _is_app(c)}


def check_kubernetes(tree: Path, entrypoint_roles: set[str], report: list[str]) -> list[str]:
    problems = []
    overlays = sorted(p.parent for p in (tree / "overlays").glob("**/kustomization.yaml"))
    if not overlays:
        return [f"{tree}: no overlays/*/kustomization.yaml"]
    images: dict[Path, set[str]] = {}
    for overlay in overlays:
        name = overlay.relative_to(tree)
        try:
            resources = render(overlay)
        except RenderError as exc:
            problems.append(f"{name}: {exc}")
            continue
        reference = kubectl_kustomize(overlay) if tree.resolve() == (ROOT / "deploy" / "kubernetes") else None
        if reference is not None:
            ours = {_key(r): r for r in resources}
            theirs = {_key(r): r for r in reference}
            if ours != theirs:
                differ = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
                problems.append(f"{name}: rendered here differently from kubectl kustomize: {differ}")
        found = [f"{name}: {p}" for p in schema_problems(resources) + manifest_problems(resources, entrypoint_roles)]
        problems += found
        images[overlay] = app_images(resources)
        if len(images[overlay]) > 1:  # none: a configuration-only kustomization (overlays/split/config)
            problems.append(f"{name}: the application image must be one release, found {sorted(images[overlay])}")
        if not found:
            checked = "rendered here and by kubectl kustomize alike" if reference is not None else "rendered here"
            valid = f"{len(resources)} manifests valid (Kubernetes {KUBERNETES_VERSION}; {checked})"
            report.append(f"{tree.name}/{name}: {valid}")
    for overlay, image in images.items():
        parent = overlay.parent
        if overlay.name == "migrate" and parent in images and images[parent] != image:
            problems.append(
                f"{overlay.relative_to(tree)}: image {sorted(image)} differs from {parent.relative_to(tree)}'s "
                f"{sorted(images[parent])}: the migrations must run the release being rolled out"
            )
    return problems


# --- the image ---------------------------------------------------------------------------------------


def entrypoint_roles(path: Path) -> set[str]:
    """The roles of the entrypoint's `case "$1"` (and `healthcheck`)."""
    text = path.read_text()
    body = text[text.index('case "$1" in') :]
    roles = set()
    for match in re.finditer(r"^\s+([a-z][a-z|-]*)\)", body, re.MULTILINE):
        roles |= set(match.group(1).split("|"))
    return roles | {"healthcheck"} if 'if [ "$1" = healthcheck ]' in text else roles


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        pending += " " + line.removesuffix("\\").strip() if pending else line.removesuffix("\\").strip()
        if not line.endswith("\\"):
            keyword, _, rest = pending.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
            pending = ""
    return instructions


def _expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), value)


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    return ":" in name and not name.endswith(":latest") and "$" not in image


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore: the last pattern that matches the path or a parent of it wins."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern.removeprefix("!").strip("/")
        if body.startswith("**/"):
            hit = any(fnmatch.fnmatchcase(part, body[3:]) for part in parts) or any(
                fnmatch.fnmatchcase(prefix, body[3:]) for prefix in prefixes
            )
        else:
            hit = any(fnmatch.fnmatchcase(prefix, body) for prefix in prefixes)
        if hit:
            ignored = not negate
    return ignored


def _stages(instructions: list[tuple[str, str]]) -> tuple[list[list[tuple[str, str]]], list[str]]:
    """The instructions of each stage, and the base images not pinned to a tag."""
    variables, aliases, problems = {}, set(), []
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions:
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            variables[name.strip()] = default.strip()
        elif keyword == "FROM":
            image, *alias = re.split(r"\s+as\s+", _expand(rest, variables).strip(), flags=re.IGNORECASE)
            if image not in aliases and not _pinned(image):
                problems.append(f"FROM {image}: pin the base image to a tag (never latest)")
            aliases.update(alias)
            stages.append([])
        elif stages:
            stages[-1].append((keyword, rest))
    return stages, problems


def _runtime_problems(runtime: list[tuple[str, str]]) -> list[str]:
    problems = []
    for run in (rest for keyword, rest in runtime if keyword == "RUN"):
        if re.search(r"pip3? install", run) and "--no-index" not in run:
            problems.append(f"runtime stage installs from an index: {run[:80]}…")
        installed = re.search(r"apt-get install ([^&;|]*)", run)
        compilers = re.findall(r"\b(gcc|g\+\+|build-essential|[\w.+-]+-dev)\b", installed.group(1) if installed else "")
        if compilers:
            problems.append(f"runtime stage installs build tools: {', '.join(compilers)}")
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    uid = users[-1].split(":", 1)[0] if users else ""
    if not uid.isdigit() or int(uid) == 0:
        problems.append("runtime stage must end as a numeric non-root USER (Kubernetes' runAsNonRoot checks it)")
    healthchecks = [rest for keyword, rest in runtime if keyword == "HEALTHCHECK"]
    if not healthchecks or healthchecks[-1].upper().startswith("NONE"):
        problems.append("runtime stage has no HEALTHCHECK")
    if not any(keyword == "ENTRYPOINT" for keyword, _ in runtime):
        problems.append("runtime stage has no ENTRYPOINT")
    return problems


def _dockerignore_problems(dockerignore: Path) -> list[str]:
    if not dockerignore.is_file():
        return [f"{dockerignore.name} is missing"]
    patterns = [
        line.strip() for line in dockerignore.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    problems = [
        f"{dockerignore.name}: {path} would be sent to the build"
        for path in (".git/HEAD", ".venv/bin/python", ".env", "var/media/a.png", "tests/conftest.py", "bench/x.py")
        if not _ignored(path, patterns)
    ]
    return problems + [
        f"{dockerignore.name}: {path} is left out, and the Dockerfile needs it"
        for path in ("manage.py", "conectar/settings.py", "requirements/base.txt", "docker/entrypoint.sh")
        if _ignored(path, patterns)
    ]


def _runs(stage: list[tuple[str, str]]) -> str:
    return " ".join(rest for keyword, rest in stage if keyword == "RUN")


def dockerfile_problems(dockerfile: Path, dockerignore: Path) -> list[str]:
    stages, problems = _stages(dockerfile_instructions(dockerfile.read_text()))
    if len(stages) < MIN_STAGES:
        return [*problems, "one stage: build the wheels in a stage of their own, then a slim runtime"]
    built = " ".join(_runs(stage) for stage in stages[:-1])
    if not re.search(r"pip wheel[^&;]*--require-hashes[^&;]*requirements/base\.txt", built):
        problems.append("no build stage runs `pip wheel --require-hashes ... -r requirements/base.txt` (the lock)")
    if not re.search(r"pip install [^&;]*--no-index", built + " " + _runs(stages[-1])):
        problems.append("nothing installs the built wheels with --no-index (only them, never an index)")
    return problems + _runtime_problems(stages[-1]) + _dockerignore_problems(dockerignore)


def hadolint(dockerfile: Path) -> tuple[list[str], str]:
    binary = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if not binary:
        return [], "hadolint not installed: structure only"
    result = subprocess.run(  # noqa: S603 - a fixed command on our own file
        [binary, "--no-color", "--failure-threshold", "warning", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        return [line for line in result.stdout.splitlines() if line.strip()] or [result.stderr.strip()], ""
    return [], "hadolint clean"


# --- compose -------------------------------------------------------------------------------------------


def _default_of(value: str) -> str:
    """`${NAME:-default}` as compose sees it with NAME unset."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def _compose_service_problems(name: str, service: dict, services: dict, split: set[str], roles: set[str]) -> list[str]:
    problems = []
    image = service.get("image")
    if not image or not _pinned(_default_of(image)):
        problems.append(f"{name}: image {image} is not pinned to a tag (never latest)")
    for other in service.get("depends_on") or {}:
        if other not in services:
            problems.append(f"{name}: depends on {other}, which does not exist")
        elif other in split and name not in split:
            problems.append(f"{name}: depends on {other}, which only the {SPLIT_PROFILE} profile starts")
    command = service.get("command")
    if service.get("build") and command and command[0] not in roles:
        problems.append(f"{name}: role {command[0]!r} is not one of docker/entrypoint.sh's")
    token = (service.get("environment") or {}).get("METRICS_TOKEN")
    if token is not None and not str(token).startswith("${METRICS_TOKEN:?"):
        problems.append(f"{name}: METRICS_TOKEN must be required (${{METRICS_TOKEN:?…}}), as Prometheus reads it")
    return problems


def compose_problems(compose: Path, roles: set[str]) -> list[str]:
    try:
        services = (yaml.safe_load(compose.read_text()) or {}).get("services") or {}
    except yaml.YAMLError as exc:
        return [f"not YAML: {exc}"]
    split = {name for name, s in services.items() if SPLIT_PROFILE in (s.get("profiles") or [])}
    problems = [] if split else [f"no `{SPLIT_PROFILE}` profile (the lifted contexts)"]
    for name, service in services.items():
        problems += _compose_service_problems(name, service, services, split, roles)
    if not any(s.get("command") == ["setup-storage"] for s in services.values()):
        problems.append("no setup-storage job: nothing creates the buckets")
    if "METRICS_TOKEN" not in (services.get("prometheus", {}).get("environment") or {}):
        problems.append("prometheus: does not get METRICS_TOKEN")
    return problems


def docker_compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run(  # noqa: S603 - fixed command
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
        )
        if plugin.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def docker_compose_config(compose: Path, split_env: Path) -> tuple[list[str], str]:
    command = docker_compose_command()
    if command is None:
        return [], "neither `docker compose` nor docker-compose installed: structure only"
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "SECRET_KEY": "compose-validation", "METRICS_TOKEN": "validation"}
    problems = []
    for extra in ([], ["--env-file", str(split_env), "--profile", SPLIT_PROFILE]):
        result = subprocess.run(  # noqa: S603 - fixed command on our own file
            [*command, "-f", str(compose), *extra, "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
        )
        if result.returncode != 0:
            problems.append(f"{' '.join(command[-1:])} config {' '.join(extra)}: {result.stderr.strip()[-500:]}")
    return problems, f"{' '.join(Path(c).name for c in command)} config: default and {SPLIT_PROFILE} profile"


# --- main ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dockerfile", type=Path, default=ROOT / "docker" / "Dockerfile")
    parser.add_argument("--compose", type=Path, default=ROOT / "docker" / "compose.yml")
    parser.add_argument("--kubernetes", type=Path, default=ROOT / "deploy" / "kubernetes")
    parser.add_argument("--only", choices=["image", "compose", "kubernetes"], action="append")
    args = parser.parse_args(argv)
    parts = set(args.only or ["image", "compose", "kubernetes"])
    entrypoint = args.dockerfile.parent / "entrypoint.sh"
    roles = entrypoint_roles(entrypoint)
    problems: list[str] = []
    report: list[str] = []

    if "image" in parts:
        found = [f"{args.dockerfile.name}: {p}" for p in dockerfile_problems(args.dockerfile, ROOT / ".dockerignore")]
        syntax = subprocess.run(["sh", "-n", str(entrypoint)], capture_output=True, text=True, check=False)  # noqa: S603, S607
        if syntax.returncode != 0:
            found.append(f"{entrypoint.name}: {syntax.stderr.strip()}")
        linted, note = hadolint(args.dockerfile)
        found += [f"hadolint: {line}" for line in linted]
        problems += found
        if not found:
            report.append(f"{args.dockerfile.relative_to(ROOT)}, .dockerignore, entrypoint.sh: ok ({note})")
    if "compose" in parts:
        found = [f"{args.compose.name}: {p}" for p in compose_problems(args.compose, roles)]
        validated, note = docker_compose_config(args.compose, args.compose.parent / "split.env")
        found += validated
        problems += found
        if not found:
            report.append(f"{args.compose.name}: ok (structure; {note})")
    if "kubernetes" in parts:
        problems += check_kubernetes(args.kubernetes, roles, report)

    out = sys.stdout
    for line in report:
        out.write(f"ok   {line}\n")
    for line in problems:
        out.write(f"FAIL {line}\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
