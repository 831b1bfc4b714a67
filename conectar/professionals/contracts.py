"""PUBLIC: what other contexts may know of professionals — DTOs, enums, events, exceptions.
Standard library only."""
