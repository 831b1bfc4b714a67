"""Django admin for this context's tables."""
