class ProbeRouter:
    """Probe effects live in every database (explicit `using`); probe items in the marketplace's."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label == "probe":
            return "marketplace" if model._meta.model_name == "probeitem" else None
        return None

    db_for_write = db_for_read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "probe":
            return True
        return None
