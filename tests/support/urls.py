from django.urls import path

from conectar.urls import handler400, handler403, handler404, handler500  # noqa: F401
from conectar.urls import urlpatterns as conectar_urlpatterns
from tests.support.probe.http import DrfBoom, DrfItems, api

urlpatterns = [
    path("api/v1/probe/drf/items", DrfItems.as_view()),
    path("api/v1/probe/drf/boom", DrfBoom.as_view()),
    path("api/v1/probe/", api.urls),
    *conectar_urlpatterns,
]
