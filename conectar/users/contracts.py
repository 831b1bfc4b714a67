"""PUBLIC: what other contexts may know of users — DTOs, enums, events, exceptions.
Standard library only."""
