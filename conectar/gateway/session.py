"""`GET /api/v1/session`: who the presented access token says the caller is, without a profile
lookup — what a frontend asks on start-up to decide whether its token still works."""

from uuid import UUID

from ninja import Router, Schema

router = Router(tags=["session"])


class SessionOut(Schema):
    user_id: UUID
    rol: str
    is_staff: bool


@router.get("/session", response=SessionOut, summary="The caller's identity per the access token")
def session(request):
    principal = request.auth
    return SessionOut(user_id=principal.user_id, rol=principal.role, is_staff=principal.is_staff)
