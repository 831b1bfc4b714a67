"""PUBLIC: what other contexts may know of notifications — DTOs, enums, events, exceptions.
Standard library only."""
