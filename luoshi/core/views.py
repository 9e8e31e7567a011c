import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import role_paths
from luoshi.core.registry import subtree_figures
from luoshi.orgs.models import Organization

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


@require_GET
def home(request):
    """The signed-in user's start page: the organisations they are assigned to, with figures."""
    assigned = role_paths(request.user)
    orgs = {o.path: o for o in Organization.objects.filter(path__in={p for p, _ in assigned})}
    cards = []
    for path, role in sorted(assigned):
        org = orgs[path]
        cards.append({"org": org, "role_label": Role(role).label, "figures": subtree_figures(path)})
    if len(cards) == 1 and request.GET.get("stay") is None:
        return redirect("orgs:detail", pk=cards[0]["org"].pk)
    return render(request, "core/home.html", {"cards": cards})


@login_not_required
def server_error(request):
    """A plain page for an unexpected error: no trace, no SQL, no settings; the request id lets
    the office find the logged details."""
    response = render(request, "500.html", {"request_id": getattr(request, "id", "")}, status=500)
    return response
