from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    name = "conectar.devtools"
    label = "devtools"
    verbose_name = "Development tools"
