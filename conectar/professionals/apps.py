from django.apps import AppConfig


class ProfessionalsConfig(AppConfig):
    name = "conectar.professionals"
    label = "professionals"
    verbose_name = "Professionals"
    default_auto_field = "django.db.models.BigAutoField"
