from django.urls import path

from luoshi.urls import handler400, handler404, handler500  # noqa: F401
from luoshi.urls import urlpatterns as base


def boom(request):
    raise RuntimeError("SELECT secret FROM settings WHERE SECRET_KEY = 'x'")


urlpatterns = [*base, path("boom/", boom)]
