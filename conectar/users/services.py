"""Writes of this context (`<thing>_<verb>`): the business rules, each in its own transaction."""
