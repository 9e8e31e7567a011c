"""Triage pages for the organisation's office and liaisons, scoped like the rest of luoshi."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import may_keep_ledger, may_see_sender, role_paths
from luoshi.core.audit import record_event
from luoshi.core.errors import DomainError, Invalid
from luoshi.core.errors import status_for as _status_for
from luoshi.core.models import AuditEvent
from luoshi.core.paging import page_of
from luoshi.core.params import id_param, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.opinions import selectors, services
from luoshi.opinions.exporter import write_opinions
from luoshi.opinions.forms import (
    AcceptForm,
    AnswerForm,
    DeclineForm,
    RecordOpinionForm,
    SymposiumForm,
    TransferForm,
)
from luoshi.opinions.models import Channel, Opinion, OpinionPhoto, OpinionState, Symposium, Topic
from luoshi.opinions.photos import open_photo
from luoshi.opinions.public import form_url
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import at_paths
from luoshi.rectification.selectors import category_choices, owner_organizations, pick_problems

PER_PAGE = 30


def _list_filter(request) -> tuple[Organization | None, selectors.OpinionFilter]:
    """The list's filter from the query string; the page and its export both read it here, so
    they default alike (open opinions when no state is given)."""
    org = None
    if org_id := id_param(request.GET, "org"):
        org = get_visible_or_404(Organization.objects, request.user, request=request, pk=org_id)
    f = selectors.OpinionFilter(
        org_path=org.path if org else None,
        state=request.GET.get("state", "open"),
        channel=request.GET.get("channel", ""),
        topic=request.GET.get("topic", ""),
        text=request.GET.get("q", ""),
    )
    return org, f


@require_GET
def opinion_list(request):
    user = request.user
    org, f = _list_filter(request)
    page = page_of(selectors.opinions(user, f), page_param(request.GET), PER_PAGE)
    assigned = sorted({p for p, _ in role_paths(user)})
    home = org or at_paths(assigned).first()
    # The export link carries the filter as the page applied it (state included, even "" for
    # all), so 导出 downloads exactly the rows the list shows.
    query = urlencode(
        {
            "org": org.pk if org else "",
            "state": f.state,
            "channel": f.channel,
            "topic": f.topic,
            "q": f.text,
        }
    )
    return render(
        request,
        "opinions/list.html",
        {
            "page": page,
            "filter": f,
            "org": org,
            "home": home,
            "figures": selectors.opinion_figures(home.path) if home else None,
            "states": [("open", "未办结（待处理、已转交）"), ("", "全部"), *OpinionState.choices],
            "channels": Channel.choices,
            "topics": Topic.choices,
            "query": query,
            "can_record": bool(owner_organizations(user, limit=1)),
        },
    )


def _opinion(request, pk) -> Opinion:
    return get_visible_or_404(
        Opinion.objects.select_related(
            "org", "campaign", "problem", "symposium", "transferred_from", "handled_by"
        ),
        request.user,
        request=request,
        pk=pk,
    )


def _transfer_choices(user, opinion: Opinion) -> list[tuple[int, str]]:
    """Where an opinion is usually passed: the children of its organisation, its parent and
    siblings, and the children of the user's own organisations (all within the user's scope)."""
    orgs = Organization.objects.visible_to(user)
    near = list(orgs.filter(parent_id=opinion.org_id).order_by("sort_order", "id")[:200])
    if opinion.org.parent_id:
        near += list(orgs.filter(pk=opinion.org.parent_id))
        near += list(
            orgs.filter(parent_id=opinion.org.parent_id).order_by("sort_order", "id")[:100]
        )
    near += owner_organizations(user, limit=200)
    seen, choices = set(), []
    for o in near:
        if o.pk != opinion.org_id and o.pk not in seen:
            seen.add(o.pk)
            choices.append((o.pk, o.name))
    return choices


def _detail_context(request, opinion: Opinion, **extra) -> dict:
    user = request.user
    accept = extra.pop("accept_form", None) or AcceptForm(
        initial={"version": opinion.version, "title": opinion.text[:60].replace("\n", " ")}
    )
    accept.fields["category"].choices = category_choices(opinion.campaign)
    transfer = extra.pop("transfer_form", None) or TransferForm(
        initial={"version": opinion.version}
    )
    can_handle = opinion.is_open and may_keep_ledger(user, opinion.org_path)
    if can_handle:
        transfer.fields["org"].choices = [("", "（请选择）")] + _transfer_choices(user, opinion)
    return {
        "opinion": opinion,
        "photos": opinion.photos.all(),
        "timeline": selectors.opinion_timeline(opinion),
        "merged": Opinion.objects.visible_to(user)
        .filter(problem_id=opinion.problem_id)
        .exclude(pk=opinion.pk)
        .count()
        if opinion.problem_id
        else 0,
        "can_handle": can_handle,
        "problem_choices": pick_problems(user, open_only=True) if can_handle else [],
        "show_sender": may_see_sender(user, opinion.org_path),
        "accept_form": accept,
        "answer_form": extra.pop("answer_form", None)
        or AnswerForm(initial={"version": opinion.version}),
        "decline_form": extra.pop("decline_form", None)
        or DeclineForm(initial={"version": opinion.version}),
        "transfer_form": transfer,
        **extra,
    }


@require_GET
def opinion_detail(request, pk):
    opinion = _opinion(request, pk)
    return render(request, "opinions/detail.html", _detail_context(request, opinion))


def _after(request, opinion, error=None, message="", **forms):
    if error is None:
        messages.success(request, message)
        return redirect("opinions:detail", pk=opinion.pk)
    opinion = _opinion(request, opinion.pk)
    context = _detail_context(request, opinion, error=str(error), **forms)
    return render(request, "opinions/detail.html", context, status=_status_for(error))


@require_POST
def opinion_accept(request, pk):
    opinion = _opinion(request, pk)
    form = AcceptForm(request.POST)
    form.fields["category"].choices = category_choices(opinion.campaign)
    if not form.is_valid():
        return _after(request, opinion, Invalid("请检查填写的内容"), accept_form=form)
    data = form.cleaned_data
    try:
        problem = services.accept_opinion(
            actor=request.user,
            opinion_id=opinion.pk,
            version=data["version"],
            problem_id=data["problem"],
            title=data["title"],
            category=data["category"],
            measure=data["measure"],
            due_on=data["due_on"],
            answer=data["answer"],
        )
    except Http404:
        return _after(request, opinion, Invalid("没有找到该问题，或您无权查看"), accept_form=form)
    except DomainError as error:
        return _after(request, opinion, error, accept_form=form)
    verb = "并入" if data["problem"] else "纳入"
    return _after(request, opinion, message=f"已采纳，{verb}问题清单：{problem.title}")


@require_POST
def opinion_answer(request, pk):
    opinion = _opinion(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _after(request, opinion, Invalid("请填写答复内容"), answer_form=form)
    try:
        services.answer_opinion(actor=request.user, opinion_id=opinion.pk, **form.cleaned_data)
    except DomainError as error:
        return _after(request, opinion, error, answer_form=form)
    return _after(request, opinion, message="已答复")


@require_POST
def opinion_decline(request, pk):
    opinion = _opinion(request, pk)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        return _after(request, opinion, Invalid("不予采纳须填写理由"), decline_form=form)
    try:
        services.decline_opinion(actor=request.user, opinion_id=opinion.pk, **form.cleaned_data)
    except DomainError as error:
        return _after(request, opinion, error, decline_form=form)
    return _after(request, opinion, message="已标记为不予采纳")


@require_POST
def opinion_transfer(request, pk):
    opinion = _opinion(request, pk)
    form = TransferForm(request.POST)
    form.fields["org"].choices = [("", "")] + _transfer_choices(request.user, opinion)
    if not form.is_valid():
        return _after(request, opinion, Invalid("请选择要转交的组织"), transfer_form=form)
    data = form.cleaned_data
    target = data["org"]
    if target is None and data["org_code"].strip():
        found = (
            Organization.objects.visible_to(request.user)
            .filter(code=data["org_code"].strip())
            .first()
        )
        target = found.pk if found else None
        if target is None:
            return _after(
                request,
                opinion,
                Invalid("没有找到该组织代码，或不在您的范围内"),
                transfer_form=form,
            )
    if target is None:
        return _after(request, opinion, Invalid("请选择要转交的组织"), transfer_form=form)
    try:
        moved = services.transfer_opinion(
            actor=request.user,
            opinion_id=opinion.pk,
            version=data["version"],
            org_id=target,
            note=data["note"],
        )
    except Http404:
        return _after(
            request,
            opinion,
            Invalid("没有找到该组织，或不在您的范围内"),
            transfer_form=form,
        )
    except DomainError as error:
        return _after(request, opinion, error, transfer_form=form)
    return _after(request, opinion, message=f"已转交{moved.org.name}办理")


@require_GET
def photo(request, pk):
    found = get_visible_or_404(OpinionPhoto.objects, request.user, request=request, pk=pk)
    stored = open_photo(found.stored_name)
    if stored is None:
        raise Http404
    response = FileResponse(stored, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET", "POST"])
def opinion_record(request):
    user = request.user
    symposium = None
    if sid := id_param(request.GET, "symposium") or id_param(request.POST, "symposium"):
        symposium = get_visible_or_404(
            Symposium.objects.select_related("org"), user, request=request, pk=sid
        )
    form = RecordOpinionForm(
        request.POST or None,
        request.FILES or None,
        initial={"channel": Channel.FORM, "topic": Topic.OTHER, "anonymous": True},
    )
    orgs = [symposium.org] if symposium else owner_organizations(user)
    form.fields["org"].choices = [(o.pk, o.name) for o in orgs]
    if symposium:
        form.fields["channel"].choices = [(Channel.SYMPOSIUM, Channel.SYMPOSIUM.label)]
        form.initial["channel"] = Channel.SYMPOSIUM
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = get_visible_or_404(Organization.objects, user, request=request, pk=data["org"])
        try:
            opinion, code = services.record_opinion(
                actor=user,
                org=org,
                channel=data["channel"],
                topic=data["topic"],
                text=data["text"],
                contact=data["contact"],
                name=data["name"],
                anonymous=data["anonymous"] or not data["name"].strip(),
                photos=data["photos"],
                symposium_id=symposium.pk if symposium else None,
            )
        except DomainError as error:
            form.add_error(None, str(error))
            status = _status_for(error)
        else:
            messages.success(
                request, f"意见已登记。查询码 {code}（只显示这一次，可转告提出人查询办理结果）"
            )
            if symposium:
                return redirect("opinions:symposium", pk=symposium.pk)
            return redirect("opinions:detail", pk=opinion.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request, "opinions/record.html", {"form": form, "symposium": symposium}, status=status
    )


@require_http_methods(["GET", "POST"])
def symposium_list(request):
    user = request.user
    orgs = owner_organizations(user)
    form = SymposiumForm(request.POST or None)
    form.fields["org"].choices = [(o.pk, o.name) for o in orgs]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = get_visible_or_404(Organization.objects, user, request=request, pk=data.pop("org"))
        try:
            symposium = services.create_symposium(actor=user, org=org, **data)
        except DomainError as error:
            form.add_error(None, str(error))
            status = _status_for(error)
        else:
            messages.success(request, "座谈会已登记，可逐条录入会上收集的意见")
            return redirect("opinions:symposium", pk=symposium.pk)
    elif request.method == "POST":
        status = 400
        if not orgs:  # the form is not shown to them: say why nothing was registered
            messages.error(request, "只有组织的联络员或主题教育办公室可以登记座谈会")
            status = 403
    page = page_of(selectors.symposia(user), page_param(request.GET), PER_PAGE)
    return render(
        request,
        "opinions/symposia.html",
        {"form": form, "page": page, "can_record": bool(orgs)},
        status=status,
    )


@require_GET
def symposium_detail(request, pk):
    symposium = get_visible_or_404(
        Symposium.objects.select_related("org"), request.user, request=request, pk=pk
    )
    return render(
        request,
        "opinions/symposium.html",
        {
            "symposium": symposium,
            "opinions": symposium.opinions.visible_to(request.user).order_by("id"),
            "can_record": may_keep_ledger(request.user, symposium.org_path),
        },
    )


@require_GET
def poster(request, pk):
    """A printable page with the organisation's form link and its QR code."""
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    return render(
        request,
        "opinions/poster.html",
        {"org": org, "url": form_url(request, org), "open": services.campaign_for(org) is not None},
    )


EXPORT_LIMIT = 100_000


@require_GET
def export(request):
    """The filtered list as .xlsx (the same filters as the page); the export is audited."""
    user = request.user
    org, f = _list_filter(request)
    rows = selectors.opinions(user, f)[:EXPORT_LIMIT]
    record_event(
        AuditEvent.Kind.EXPORT,
        user=user,
        request=request,
        org_path=org.path if org else "",
        target="opinions",
        filters={k: v for k, v in request.GET.items()},
    )
    name = f"意见建议-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        write_opinions(rows.iterator(chunk_size=2000)),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
