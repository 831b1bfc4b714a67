"""Reads of this context: queries shaped for the facade and the routes."""
