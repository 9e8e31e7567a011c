"""The signed-in user's own pages: the start page and the account menu's API tokens."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.models import ApiToken, Assignment, Role
from luoshi.accounts.permissions import role_paths, whole_installation
from luoshi.accounts.tokens import MAX_DAYS, issue_token, revoke_token
from luoshi.core.audit import record_refusal
from luoshi.core.errors import Invalid
from luoshi.core.paths import SEP
from luoshi.core.registry import subtree_figures
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import at_paths


class TokenForm(forms.Form):
    label = forms.CharField(
        label="用途",
        max_length=60,
        required=False,
        help_text="例如：台账同步脚本",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    days = forms.IntegerField(
        label="有效天数",
        min_value=1,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request):
    """The user's tokens (created, last used, expiry, revoked); a new one is shown once, here."""
    key = None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                key = issue_token(
                    request.user, days=form.cleaned_data["days"], label=form.cleaned_data["label"]
                )
            except Invalid as error:
                form.add_error(None, str(error))
            else:
                form = TokenForm(initial={"days": settings.API_TOKEN_DAYS})
    else:
        form = TokenForm(initial={"days": settings.API_TOKEN_DAYS})
    context = {
        "tokens": ApiToken.objects.filter(user=request.user)[:200],
        "form": form,
        "new_key": key,
        "now": timezone.now(),
    }
    return render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)


@require_POST
def revoke(request, pk):
    try:
        revoke_token(actor=request.user, token_id=pk)
    except Http404:  # another user's token, or none
        record_refusal(user=request.user, request=request, model=ApiToken, lookup=pk)
        raise
    messages.success(request, "令牌已撤销，使用它的程序将无法再访问。")
    return redirect("tokens")


def _cards(user) -> list[dict]:
    """One card per organisation the user is assigned to (for an administrator of the whole
    installation, one per top-level organisation), with its subtree's figures."""
    assigned = role_paths(user)
    orgs = {o.path: o for o in Organization.objects.filter(path__in={p for p, _ in assigned})}
    tops = list(at_paths([SEP])) if (SEP, Role.ADMIN) in assigned else []
    cards = []
    for path, role in sorted(assigned):
        for org in tops if path == SEP else [orgs[path]]:
            figures = subtree_figures(org.path)
            cards.append({"org": org, "role_label": Role(role).label, "figures": figures})
    return cards


def _setup_steps(cards) -> dict:
    """What the administrator of a new installation has done of its first steps: the top
    organisation (then its tree) exists; an office account for it exists."""
    tops = [c["org"] for c in cards if c["org"].parent_id is None]
    office = Assignment.objects.filter(role=Role.OFFICE, org__in=tops).exists()
    return {"has_org": bool(tops), "has_office": office, "top": tops[0] if tops else None}


@require_GET
def home(request):
    """The signed-in user's start page: their work page (我的工作) when they hold a role; with
    `stay` (the menu's 我的岗位), the organisations they are assigned to, with figures; for the
    administrator of the whole installation, also the next step of setting it up (on
    an empty database: create the top organisation)."""
    if request.GET.get("stay") is None and not whole_installation(request.user):
        if role_paths(request.user):
            # Every role lands on what it has to do next (我的工作); 我的岗位 stays in the menu.
            return redirect("rectification:my_work")
    cards = _cards(request.user)
    if whole_installation(request.user):
        context = {"cards": cards, "setup": _setup_steps(cards)}
        return render(request, "accounts/home.html", context)
    return render(request, "accounts/home.html", {"cards": cards})
