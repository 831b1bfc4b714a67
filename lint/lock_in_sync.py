"""pyproject.toml and the lock (requirements/base.txt, requirements/dev.txt) agree. Run by `make lint`;
offline and deterministic: it reads the two files and nothing else.

A lock file agrees with pyproject.toml when
- its stamp (a header line scripts/lock.sh writes) is the fingerprint of the requirements it was
  locked from, so a requirement added, removed or changed since is noticed even where the old pins
  would still satisfy it;
- every requirement (name, extras, version range, markers) is met by exactly one pin on each
  platform deployed to (Linux x86_64 and aarch64, the Pythons of Debian 12 and Ubuntu 24.04);
- every line is an exact `==` pin with at least one hash, as `pip install --require-hashes` wants.

    python -m lint.lock_in_sync           check (exit 1 with what disagrees)
    python -m lint.lock_in_sync --stamp   write the stamps (scripts/lock.sh, after compiling)
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK_COMMAND = "scripts/lock.sh"
STAMP_PREFIX = "# pyproject.toml requirements sha256: "
# lock file -> the extras of pyproject.toml it holds besides [project].dependencies
LOCK_FILES = {"base.txt": (), "dev.txt": ("dev",)}
TARGETS = [
    {
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": machine,
        "python_version": python,
        "python_full_version": full,
        "extra": "",
    }
    for machine in ("x86_64", "aarch64")
    for python, full in (("3.11", "3.11.2"), ("3.12", "3.12.3"))  # Debian 12's, Ubuntu 24.04's
]


def declared(pyproject: Path) -> dict[str, list[Requirement]]:
    """Lock file name -> the requirements of pyproject.toml it must satisfy."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return {
        name: [Requirement(r) for r in [*project.get("dependencies", []), *(r for x in with_extras for r in extras[x])]]
        for name, with_extras in LOCK_FILES.items()
    }


def fingerprint(requirements: list[Requirement]) -> str:
    """The same for the same requirements, however pyproject.toml spells or orders them."""
    canonical = sorted(f"{canonicalize_name(r.name)}{_normalised(r)}" for r in requirements)
    return hashlib.sha256("\n".join(canonical).encode()).hexdigest()


def _normalised(requirement: Requirement) -> str:
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    specifier = ",".join(sorted(str(s) for s in requirement.specifier))
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{extras}{specifier}{marker}"


def _logical_lines(text: str) -> list[str]:
    """The lock's requirement lines, continuations joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (line.split(" #", 1)[0].strip() for line in joined.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_lock(text: str) -> tuple[str | None, list[Requirement], list[str]]:
    """(stamp, pins, problems with the lines themselves)."""
    stamp = next(
        (line[len(STAMP_PREFIX) :].split()[0] for line in text.splitlines() if line.startswith(STAMP_PREFIX)), None
    )
    pins, problems = [], []
    for line in _logical_lines(text):
        spec, *options = line.split(" --")
        try:
            pin = Requirement(spec.strip())
        except InvalidRequirement as e:
            problems.append(f"unreadable line {line!r}: {e}")
            continue
        if len(pin.specifier) != 1 or next(iter(pin.specifier)).operator != "==":
            problems.append(f"{pin.name} is not pinned with == ({spec.strip()})")
        elif not any(option.startswith("hash=sha256:") for option in options):
            problems.append(f"{pin.name} has no --hash=sha256: line")
        else:
            pins.append(pin)
    return stamp, pins, problems


def _pinned_version(pin: Requirement) -> str:
    return next(iter(pin.specifier)).version


def unmet(requirements: list[Requirement], pins: list[Requirement]) -> list[str]:
    """Each requirement not met by exactly one pin on some target platform."""
    problems = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        for target in TARGETS:
            if requirement.marker and not requirement.marker.evaluate(target):
                continue
            where = f"on {target['platform_machine']} Python {target['python_version']}"
            chosen = [
                p for p in pins if canonicalize_name(p.name) == name and (p.marker is None or p.marker.evaluate(target))
            ]
            if len(chosen) != 1:
                problems.append(f"{requirement}: {len(chosen)} pins of {name} {where}")
                break
            pin = chosen[0]
            if not requirement.specifier.contains(_pinned_version(pin), prereleases=True):
                problems.append(f"{requirement}: locked at {_pinned_version(pin)}")
                break
            if not requirement.extras <= pin.extras:
                missing = ",".join(sorted(requirement.extras - pin.extras))
                problems.append(f"{requirement}: the lock has {name} without the extras [{missing}]")
                break
    return problems


def disagreements(pyproject: Path, lock_dir: Path) -> list[str]:
    problems = []
    for name, requirements in declared(pyproject).items():
        path = lock_dir / name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        stamp, pins, line_problems = read_lock(path.read_text())
        if stamp != fingerprint(requirements):
            problems.append(f"{path}: locked from other requirements than {pyproject.name}'s (its stamp differs)")
        problems += [f"{path}: {p}" for p in line_problems + unmet(requirements, pins)]
    return problems


def stamp(pyproject: Path, lock_dir: Path) -> None:
    """Write (or replace) each lock file's stamp, right after the compiler's header."""
    for name, requirements in declared(pyproject).items():
        path = lock_dir / name
        lines = [line for line in path.read_text().splitlines() if not line.startswith(STAMP_PREFIX)]
        header = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
        lines.insert(header, f"{STAMP_PREFIX}{fingerprint(requirements)} (written by {LOCK_COMMAND})")
        path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stamp", action="store_true", help="write the stamps instead of checking")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--lock-dir", type=Path, default=ROOT / "requirements")
    args = parser.parse_args(argv)
    if args.stamp:
        stamp(args.pyproject, args.lock_dir)
        return 0
    problems = disagreements(args.pyproject, args.lock_dir)
    for problem in problems:
        print(problem, file=sys.stderr)  # noqa: T201
    if problems:
        print(f"pyproject.toml and the lock disagree: run {LOCK_COMMAND} and commit requirements/", file=sys.stderr)  # noqa: T201
        return 1
    print("requirements/ agrees with pyproject.toml")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
