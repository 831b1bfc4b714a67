"""DRF-served contexts' routes under /api/v1."""

urlpatterns: list = []
