"""账号管理: the pages where an office (or an administrator) manages the accounts of its
subtree. Reads come from accounts.selectors, writes from accounts.services; an account outside
the actor's subtrees answers 404, as any foreign object does."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts import selectors, services
from luoshi.accounts.forms import OwnPasswordChangeForm, password_policy
from luoshi.accounts.models import Role, must_change_password
from luoshi.accounts.permissions import ROLE_ORDER, ROLE_RANK, account_admin_paths, role_paths
from luoshi.core.audit import record_refusal
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.orgs.selectors import page_of

PER_PAGE = 30
DENIED = "只有主题教育办公室和系统管理员可以管理账号"


def _denied(request):
    return render(request, "accounts/denied.html", {"message": DENIED}, status=403)


def _grantable_roles(user) -> list[tuple[str, str]]:
    """The roles the user may grant somewhere (the form's choices; each grant is checked)."""
    held = [ROLE_RANK[r] for p, r in role_paths(user) if r in (Role.OFFICE, Role.ADMIN)]
    top = max(held, default=0)
    return [(r.value, r.label) for r in ROLE_ORDER if ROLE_RANK[r] <= top]


def _account(request, pk):
    account = selectors.accounts_of(request.user).filter(pk=pk).first()
    if account is None:
        from django.contrib.auth import get_user_model

        record_refusal(user=request.user, request=request, model=get_user_model(), lookup=pk)
        raise Http404
    return selectors.annotate(request.user, [account])[0]


@require_GET
def account_list(request):
    if not account_admin_paths(request.user):
        return _denied(request)
    text = request.GET.get("q", "")
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    kind = request.GET.get("kind", "")
    kind = kind if kind in selectors.AccountKind.LABELS else selectors.AccountKind.SIGN_IN
    page = page_of(selectors.accounts_of(request.user, text, kind), number, PER_PAGE)
    selectors.annotate(request.user, page.rows)
    folded = 0  # the visit-only accounts the default list leaves out, counted
    if kind == selectors.AccountKind.SIGN_IN:
        visit_only = selectors.AccountKind.VISIT_ONLY
        folded = selectors.accounts_of(request.user, text, visit_only).count()
    query = urlencode({k: v for k, v in (("q", text), ("kind", kind)) if v})
    return render(
        request,
        "accounts/list.html",
        {
            "page": page,
            "text": text,
            "query": query,
            "kind": kind,
            "kinds": selectors.AccountKind.LABELS,
            "folded": folded,
            "folded_query": urlencode(
                {"q": text, "kind": "visit_only"} if text else {"kind": "visit_only"}
            ),
        },
    )


@require_GET
def org_options(request):
    """<option>s of the organisations matching ?q= in the user's subtrees (the organisation
    field's suggestions)."""
    text = request.GET.get("q") or request.GET.get("org", "")
    orgs = selectors.organisations_for(request.user, text)
    return render(request, "accounts/_org_options.html", {"orgs": orgs})


def _pairs(request, user) -> list:
    """(organisation, role) of each filled row of the form; Invalid names an unknown one."""
    pairs = []
    for text, role in zip(request.POST.getlist("org"), request.POST.getlist("role"), strict=False):
        if not text.strip():
            continue
        org = selectors.organisation_named(user, text)
        if org is None:
            raise Invalid(f"找不到组织“{text.strip()}”，请填写本级及下级范围内的组织代码或全称")
        pairs.append((org, role))
    return pairs


def _show(request, account, *, password=None, status=200):
    context = {
        "account": account,
        "roles": _grantable_roles(request.user),
        "password": password,
        "history": selectors.account_history(request.user, account),
    }
    return render(request, "accounts/detail.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def account_new(request):
    if not account_admin_paths(request.user):
        return _denied(request)
    context = {
        "roles": _grantable_roles(request.user),
        "form": request.POST,
        "error": None,
        "policy": password_policy(),
    }
    if request.method == "POST":
        try:
            user, password = services.create_account(
                actor=request.user,
                username=request.POST.get("username", ""),
                name=request.POST.get("name", ""),
                assignments=_pairs(request, request.user),
            )
        except (Invalid, NotAllowed) as error:
            context["error"] = str(error)
            status = 403 if isinstance(error, NotAllowed) else 400
            return render(request, "accounts/new.html", context, status=status)
        messages.success(request, f"已创建账号“{user.username}”")
        return _show(request, _account(request, user.pk), password=password)
    return render(request, "accounts/new.html", context)


@never_cache
@require_GET
def account_detail(request, pk):
    return _show(request, _account(request, pk))


def _write(request, pk, do, done: str):
    account = _account(request, pk)
    try:
        do(account)
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("accounts:detail", pk=account.pk)


@require_POST
def account_rename(request, pk):
    name = request.POST.get("name", "")
    return _write(
        request,
        pk,
        lambda a: services.rename_account(actor=request.user, user_id=a.pk, name=name),
        "姓名已修改",
    )


@require_POST
def account_assign(request, pk):
    def do(account):
        pairs = _pairs(request, request.user)
        if not pairs:
            raise Invalid("请填写组织")
        for org, role in pairs:
            services.add_assignment(actor=request.user, user_id=account.pk, org=org, role=role)

    return _write(request, pk, do, "岗位已分配")


@require_POST
def account_unassign(request, pk):
    raw = request.POST.get("assignment", "")

    def do(account):
        if not raw.isdigit():
            raise Invalid("请选择要撤销的岗位")
        services.remove_assignment(actor=request.user, user_id=account.pk, assignment_id=int(raw))

    return _write(request, pk, do, "岗位已撤销")


@require_POST
def account_lock(request, pk):
    locked = request.POST.get("action") != "unlock"
    return _write(
        request,
        pk,
        lambda a: services.set_locked(actor=request.user, user_id=a.pk, locked=locked),
        "账号已停用，其登录和接口令牌立即失效" if locked else "账号已启用",
    )


@never_cache
@require_POST
def account_reset(request, pk):
    account = _account(request, pk)
    try:
        password = services.reset_password(actor=request.user, user_id=account.pk)
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
        return redirect("accounts:detail", pk=account.pk)
    messages.success(request, "密码已重置，该账号原有的登录和接口令牌已失效")
    return _show(request, _account(request, pk), password=password)


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码, with the policy stated; it ends a one-time password (and is the only page an
    account with one may open)."""

    form_class = OwnPasswordChangeForm
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["forced"] = must_change_password(self.request.user)
        context["policy"] = password_policy()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user)
        return response
