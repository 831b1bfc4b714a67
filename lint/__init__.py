"""Development-only checks of the code base (import-linter contract types). Never shipped: the
image copies `conectar/` only, and nothing under `conectar/` imports this package."""
