import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # the probe must answer, whatever the database says
        log.exception("health check failed")
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required
def server_error(request):
    """A plain page for an unexpected error: no trace, no SQL, no settings; the request id lets
    the office find the logged details."""
    response = render(request, "500.html", {"request_id": getattr(request, "id", "")}, status=500)
    return response
