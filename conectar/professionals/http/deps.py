"""What every professionals route needs to know about its caller."""

from conectar.platform.permissions import require_role
from conectar.professionals.contracts import NotAProfessional
from conectar.professionals.models import Professional

PROFESIONAL = "PROFESIONAL"


def own_professional(request) -> Professional:
    """The caller's professional profile: 403 for anyone who is not a professional."""
    require_role(request.auth, PROFESIONAL)
    professional = Professional.objects.filter(usuario_id=request.auth.user_id).first()
    if professional is None:
        raise NotAProfessional
    return professional
