"""Reads of the professionals context, one module per topic."""
