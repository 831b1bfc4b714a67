from django.apps import AppConfig


class EventBusConfig(AppConfig):
    name = "conectar.platform.eventbus"
    label = "eventbus"
    verbose_name = "Event bus"
    default_auto_field = "django.db.models.BigAutoField"
