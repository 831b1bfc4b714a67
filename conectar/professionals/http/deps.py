"""What every professionals route needs to know about its caller."""

from conectar.platform.auth import RoleBearer
from conectar.platform.permissions import require_role
from conectar.professionals.models import Professional
from conectar.professionals.services import profiles

PROFESIONAL = "PROFESIONAL"


class ProfessionalBearer(RoleBearer):
    """A PROFESIONAL's access token; once it passed, their professional profile exists. A profile
    is started here when the registration event has not reached this context yet, so a professional
    who has just signed up is never told they are not one (the event then finds it done)."""

    def __init__(self):
        super().__init__(PROFESIONAL)

    def authenticate(self, request, token):
        principal = super().authenticate(request, token)
        if principal is not None:
            request.professional = profiles.professional_ensure(usuario_id=principal.user_id)
        return principal


def own_professional(request) -> Professional:
    """The caller's professional profile: 403 for anyone who is not a professional."""
    require_role(request.auth, PROFESIONAL)
    professional = getattr(request, "professional", None)
    return professional or profiles.professional_ensure(usuario_id=request.auth.user_id)
