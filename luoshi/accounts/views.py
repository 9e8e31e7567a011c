"""The signed-in user's own pages: the start page and the account menu's API tokens."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.models import ApiToken, Role
from luoshi.accounts.permissions import role_paths
from luoshi.accounts.tokens import MAX_DAYS, issue_token, revoke_token
from luoshi.core.audit import record_refusal
from luoshi.core.errors import Invalid
from luoshi.core.registry import subtree_figures
from luoshi.orgs.models import Organization


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
