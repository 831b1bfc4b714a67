from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "conectar.platform"
    label = "platform"
    verbose_name = "Platform"

    def ready(self):
        from conectar.platform import tracing
        from conectar.platform.metrics import database

        database.install()  # query count and time of every connection opened from now on
        tracing.configure_from_settings()  # before the first request or connection; off by default
