"""PUBLIC: what other contexts may know of payments — DTOs, enums, events, exceptions.
Standard library only."""
