"""A local MercadoPago: the parts of its API the payments context uses, a checkout page a person can
pay on, signed webhooks, and `/__sandbox/` controls for tests and staff. Standard library only (no
Django settings): `python -m conectar.devtools.sandbox --port 8765 --webhook-secret S`.
"""

from conectar.devtools.sandbox.control import SandboxControl, SandboxError
from conectar.devtools.sandbox.server import MercadoPagoSandbox

__all__ = ["MercadoPagoSandbox", "SandboxControl", "SandboxError"]
