#!/usr/bin/env bash
# The lock: every package bootstrap, CI and the image install, pinned with its hashes.
#   requirements/base.txt   pyproject.toml's [project].dependencies (what production runs)
#   requirements/dev.txt    those plus the `dev` extra (tests, lint, benches)
# One universal resolution (Linux x86_64 and aarch64 alike) for Python 3.11 and later; base.txt takes
# dev.txt's versions, so a package has the same pin in both.
#
#   scripts/lock.sh                        after editing pyproject.toml: keeps every pin it still can
#   scripts/lock.sh --upgrade              every package to the newest its range in pyproject allows
#   scripts/lock.sh --upgrade-package X    X only (and whatever X then needs)
#
# `make lint` fails while pyproject.toml and the lock disagree (lint/lock_in_sync.py).
set -euo pipefail
cd "$(dirname "$0")/.."

UV=${UV:-.venv/bin/uv}
[ -x "$UV" ] || UV=$(command -v uv) || { echo "scripts/lock.sh: uv not found (scripts/bootstrap.sh installs it)" >&2; exit 1; }
export UV_CUSTOM_COMPILE_COMMAND="scripts/lock.sh"
compile=("$UV" pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --no-strip-extras --quiet)

"${compile[@]}" --extra dev --output-file requirements/dev.txt "$@"
# base.txt: a subset of dev.txt's resolution, constrained to its exact versions.
"${compile[@]}" --constraints requirements/dev.txt --output-file requirements/base.txt
"${PYTHON:-.venv/bin/python}" -m lint.lock_in_sync --stamp
