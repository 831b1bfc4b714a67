"""PUBLIC: the functions other contexts and the gateway call. Keyword-only arguments,
DTOs from contracts.py in and out, never models or querysets."""
