"""A worker SIGKILLed at any point of a delivery loses nothing and doubles nothing: the delivery
stays unconfirmed in the publisher's database and is sent again after its lease, and the
subscriber's processed-events record makes the second run a no-op.

Points: `relayed` (the worker holds the message, the handler has not run — it sits unacknowledged
in Redis for an hour), `in_handler` (inside the handler's open transaction), `committed` (the
handler committed; nothing reported to the publisher, nothing acknowledged)."""

from __future__ import annotations

import pytest

from tests.chaos import flows, killing
from tests.e2e import journey

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(databases="__all__", transaction=True)]


@pytest.mark.parametrize("point", killing.POINTS)
def test_a_payment_confirmation_survives_its_worker_killed(whole, api, staff, point):
    deal, accepted = flows.accepted_deal(api, staff)

    with killing.killed_at(
        whole, point, handler=flows.ON_PAYMENT_CONFIRMED, alias="marketplace", table="marketplace_trabajo"
    ):
        assert journey.pay_in_sandbox(accepted["payment_url"]).status_code in {200, 302}
    whole.start_worker("domain")

    flows.assert_paid_once(deal, accepted["trabajo_id"])


@pytest.mark.parametrize("point", killing.POINTS)
def test_a_sign_up_survives_its_worker_killed(whole, api, point):
    with killing.killed_at(
        whole,
        point,
        handler=flows.ON_PROFESSIONAL_REGISTERED,
        alias="professionals",
        table="professionals_professional",
    ):
        pro = journey.register(api, rol="PROFESIONAL", nombre="Rosa", apellido="Paz")
    made = flows.professional_profile(pro) is not None
    assert made == (point == "committed"), "only a committed handler's effect outlives the kill"
    whole.start_worker("domain")

    flows.assert_registered_once([pro])
