"""PUBLIC: the functions other contexts and the gateway call. Keyword-only arguments,
DTOs from contracts.py in and out, never models or querysets."""

from conectar.professionals.contracts import KycCounts


def kyc_counts() -> KycCounts:
    """Professionals by KYC state. The professionals tables arrive with their own issue; until
    then no professional has submitted or been approved."""
    return KycCounts(pendientes=0, aprobados=0)
