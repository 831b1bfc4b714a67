"""Writes of the professionals context, one module per topic."""
