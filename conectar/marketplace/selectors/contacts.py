"""Whether two people may exchange contact details in their chat."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Exists, OuterRef

from conectar.marketplace.models import Trabajo


def contacts_unlocked(cliente_id: UUID, profesional_id: UUID) -> bool:
    """True once a trabajo between this cliente and this profesional has been paid (DOMAIN.md:
    contact shielding holds "until a trabajo between the two is paid"). A payment that arrived
    after cancellation and was refunded does not count: `pagado_at` is set only on confirmation."""
    return Trabajo.objects.filter(
        cliente_id=cliente_id, profesional_id=profesional_id, pagado_at__isnull=False
    ).exists()


def unlocked_for_chat() -> Exists:
    """The same answer as an expression on a Chat query, so sending a message asks it inside the
    chat's own locking query instead of one more round trip."""
    return Exists(
        Trabajo.objects.filter(
            cliente_id=OuterRef("cliente_id"), profesional_id=OuterRef("profesional_id"), pagado_at__isnull=False
        )
    )
