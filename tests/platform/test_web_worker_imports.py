"""A web worker loads no provider SDK it has not used: a process with production settings sets Django
up and loads the WSGI app and every URL conf (what a gunicorn worker has after its first request)
without Firebase, Google Cloud, Twilio, SendGrid, boto3, MercadoPago, Pillow, pypdf, Twisted or the
test tools; the adapters import them on first use (their own tests exercise that path). The same
process then validates a PDF, which loads pypdf — so the check can tell."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = [
    "firebase_admin",
    "google.cloud",
    "twilio",
    "sendgrid",
    "boto3",
    "botocore",
    "mercadopago",
    "PIL",
    "pypdf",
    "daphne",
    "twisted.internet",
    "schemathesis",
    "hypothesis",
]

LOAD_LIKE_A_WEB_WORKER = """
import json, sys

import django

django.setup()
from django.urls import get_resolver

import conectar.wsgi  # noqa: F401


def every_pattern(resolver):
    for pattern in resolver.url_patterns:  # imports each included URL conf
        if hasattr(pattern, "url_patterns"):
            every_pattern(pattern)


every_pattern(get_resolver())
heavy = json.loads(sys.argv[1])


def held():
    return sorted(h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules))


before = held()
from conectar.platform.uploads import clean_document
from conectar.shared.errors import UnsupportedMediaType

try:
    clean_document(b"%PDF-1.4 not really a pdf %%EOF")
except UnsupportedMediaType:
    pass
print(json.dumps({"before": before, "after_a_pdf": held()}))
"""


def test_a_web_worker_holds_no_sdk_until_it_uses_one():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "DJANGO_"))}
    env.update(
        CONECTAR_ENV="production",
        DJANGO_SETTINGS_MODULE="conectar.settings",  # the product's settings, not the tests'
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="api.conectar.example",
        NOTIFY_CHANNELS="",  # production refuses a notification channel without its credentials
    )
    result = subprocess.run(
        [sys.executable, "-c", LOAD_LIKE_A_WEB_WORKER, json.dumps(HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["before"] == []
    assert "pypdf" in loaded["after_a_pdf"]
