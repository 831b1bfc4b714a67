from django.apps import AppConfig


class ProbeConfig(AppConfig):
    """Test-only subscribers and routes that exercise the platform the way a context does."""

    name = "tests.support.probe"
    label = "probe"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from conectar.platform.events import subscribe
        from tests.support.probe import handlers
        from tests.support.probe.contracts import ProbeCounted, ProbePinged

        subscribe(ProbePinged, handlers.record_in_users, context="users")
        subscribe(ProbePinged, handlers.record_in_notifications, context="notifications")
        subscribe(ProbeCounted, handlers.count_in_payments, context="payments")
