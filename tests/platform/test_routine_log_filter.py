"""The worker's log keeps what matters: the once-a-second outbox sweep's received/succeeded lines are
dropped, every other task's lines and any failure of the sweep are kept."""

import logging

from conectar.platform.logging import QuietRoutineTasks


def record(logger: str, message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(logger, level, __file__, 1, message, None, None)


def test_the_sweeps_routine_lines_go_and_everything_else_stays():
    quiet = QuietRoutineTasks()
    assert not quiet.filter(record("celery.worker.strategy", "Task eventbus.relay_outbox[ab12] received"))
    assert not quiet.filter(record("celery.app.trace", "Task eventbus.relay_outbox[ab12] succeeded in 0.004s: 0"))
    assert quiet.filter(record("celery.app.trace", "Task eventbus.relay_outbox[ab12] raised", logging.ERROR))
    assert quiet.filter(record("celery.app.trace", "Task eventbus.deliver_batch[cd34] succeeded in 0.01s"))
    assert quiet.filter(record("conectar.platform.eventbus.relay", "eventbus.relay_outbox[ab12] something"))
