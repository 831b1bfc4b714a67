"""Whether two people may exchange contact details in their chat."""

from __future__ import annotations

from uuid import UUID


def contacts_unlocked(cliente_id: UUID, profesional_id: UUID) -> bool:
    """True once a trabajo between this cliente and this profesional has been paid (DOMAIN.md:
    contact shielding holds "until a trabajo between the two is paid").

    The trabajo part of the marketplace is not built yet, so no trabajo can be paid and the answer
    is always False. The trabajo work will replace this body with its own query (a paid trabajo of
    the pair: PAGADO_EN_ESCROW or any later state); every caller already goes through here."""
    return False
