"""Writes of the payments context, one module per topic."""
