"""PUBLIC: what other contexts may know of marketplace — DTOs, enums, events, exceptions.
Standard library only."""
