"""The signed-in user's own pages."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import role_paths
from luoshi.core.registry import subtree_figures
from luoshi.orgs.models import Organization


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
    return render(request, "accounts/home.html", {"cards": cards})
