"""The product's settings plus the chaos hooks (tests/chaos/hooks.py), for the worker processes
the chaos suite kills: the hooks hold a worker still at a chosen point of a delivery so the test
can SIGKILL it exactly there."""

from conectar.settings import *  # noqa: F403

CELERY_IMPORTS = ("tests.chaos.hooks",)
