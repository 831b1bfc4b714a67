"""Schemathesis over every operation of the merged OpenAPI document (issue 14 § 4), as a cliente, a
professional and an admin: no input gets a 5xx, and every response has a documented status code,
content type and body shape. Positive and negative (schema-violating) examples, bounded so the
whole run stays within a few minutes."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.contract.fuzz_support import (
    CHECKS,
    ROLES,
    aim_at_the_world,
    load_schema,
    new_world,
    requests_in_the_test_transaction,
)

pytestmark = pytest.mark.django_db(databases="__all__")

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "10"))  # per operation and role
schema = load_schema()


@pytest.fixture
def world(client, django_user_model, mp_sandbox):
    return new_world(client, django_user_model)


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
)
def test_no_server_errors_and_documented_answers(case, world, role):
    me = world.callers[role]
    aim_at_the_world(case, world, me)
    with requests_in_the_test_transaction():
        case.call_and_validate(headers={"Authorization": f"Bearer {me.access}"}, checks=CHECKS)
