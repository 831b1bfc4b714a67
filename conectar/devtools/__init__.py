"""Development tooling, outside the contexts: the local MercadoPago sandbox (`sandbox/`, run as
`python -m conectar.devtools.sandbox`), the demo data of `make run` (`demo/`, `manage.py seed_demo`
and `seed_demo_deals`) and the staff route that pays a checkout in the sandbox (`simular-pago`).

Installed (INSTALLED_APPS, URL conf) only when CONECTAR_ENV is development or test: production never
imports it. Like the gateway, it reaches the contexts only through their `facade` and `contracts`.
"""
