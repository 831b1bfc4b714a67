"""Where the outbox listener sits in a Celery worker's start-up."""

from conectar.celery import app as celery_app
from conectar.platform.eventbus.listener import OutboxListenerStep

POOL = "celery.worker.components.Pool"


def test_the_outbox_listener_starts_only_after_the_pool_has_forked_its_children():
    """A child forked while the listener thread imports psycopg or connects inherits locks held by
    that thread and hangs on its first task (seen as a prefork worker that received tasks and never
    ran them). Steps with no dependency between them start in an arbitrary order, so the pool must
    be among the listener's requirements in Celery's own dependency graph, not merely come first."""
    blueprint = celery_app.WorkController.Blueprint(steps=celery_app.steps["worker"])
    order = [step.name for step in blueprint._finalize_steps(blueprint.claim_steps())]
    requirements = {step.name: {r.name for r in required} for step, required in blueprint.graph.adjacent.items()}

    def needs(name: str) -> set[str]:
        direct = requirements.get(name, set())
        return direct.union(*(needs(r) for r in direct))

    assert POOL in needs(OutboxListenerStep.name)
    assert order.index(OutboxListenerStep.name) > order.index(POOL)
