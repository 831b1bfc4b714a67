from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "conectar.gateway"
    label = "gateway"
    verbose_name = "Gateway"
