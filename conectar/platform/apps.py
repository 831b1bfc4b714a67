from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "conectar.platform"
    label = "platform"
    verbose_name = "Platform"
