import pytest

from conectar.platform.breakers import reset_all


@pytest.fixture(autouse=True)
def _closed_breakers():
    """Each test starts with every breaker closed (a service's breaker is per process)."""
    reset_all()
    yield
    reset_all()
