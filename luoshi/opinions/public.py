"""Pages for people without an account: the online form of an organisation, the tracking page,
the board of immediate fixes and the QR code of the form's link. Rate-limited per address (and
per organisation for submissions) before any database work; nothing here shows personal data."""

import io
from functools import wraps

import segno
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.core.clients import client_address
from luoshi.core.middleware import checks_own_body
from luoshi.opinions import limits, selectors, services
from luoshi.opinions.forms import PublicOpinionForm, RateForm, TrackForm
from luoshi.opinions.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from luoshi.opinions.services import Invalid
from luoshi.orgs.models import Organization

SESSION_CODE = "opinion_code"


def _org(code: str) -> Organization:
    org = Organization.objects.filter(code=code).first()
    if org is None:
        raise Http404
    return org


def _ip(request) -> str:
    return client_address(request) or "unknown"


def _too_many(request, template: str, context: dict, name: str):
    response = render(request, template, {**context, "limited": True}, status=429)
    response["Retry-After"] = str(limits.retry_after(name))
    return response


class _NoMessages(list):
    """An empty message store: a signed-in visitor's pending messages wait for their next page."""

    def update(self, response):
        return None


def shared_page(view):
    """A page every visitor gets the same copy of (cached by browsers and proxies as `public`):
    rendered as for an anonymous visitor, so a signed-in one's name, menu, messages and CSRF
    token never end up in a copy someone else may be served."""

    @wraps(view)
    def anonymous_view(request, *args, **kwargs):
        request.user = AnonymousUser()
        request._messages = _NoMessages()
        return view(request, *args, **kwargs)

    return anonymous_view


def form_url(request, org: Organization) -> str:
    return request.build_absolute_uri(reverse("opinions:public_form", args=[org.code]))


# Three photos at their limit and the text: anything larger is refused unread.
MAX_BODY = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024


@checks_own_body
@login_not_required
@never_cache
@csrf_exempt  # the CSRF check runs in `_public_form`, after the checks that need no body
@require_http_methods(["GET", "POST"])
def public_form(request, org_code):
    """The checks that cost nothing come before the body is parsed (the CSRF check would parse
    it): the body's declared size, then the address's and the organisation's allowance, from
    the cache alone. A sender over the allowance gets 429 with the text still in the form."""
    org = _org(org_code)
    context = {"org": org, "open": services.campaign_for(org) is not None}
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:
            page = {**context, "form": PublicOpinionForm(), "too_big": True}
            return render(request, "opinions/public_form.html", page, status=413)
        ip = _ip(request)
        for name, who in (("submit_ip", ip), ("submit_ip_day", ip), ("submit_org", org.code)):
            if limits.over_limit(name, who):
                page = {**context, "form": PublicOpinionForm(request.POST)}
                return _too_many(request, "opinions/public_form.html", page, name)
    return _public_form(request, org, context)


@csrf_protect
def _public_form(request, org, context):
    if request.method == "GET":
        page = {**context, "form": PublicOpinionForm()}
        return render(request, "opinions/public_form.html", page)
    ip = _ip(request)
    form = PublicOpinionForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "opinions/public_form.html", {**context, "form": form}, status=400)
    data = form.cleaned_data
    if data["homepage"]:
        # A bot filled the hidden field: answer as if accepted, keep nothing.
        request.session[SESSION_CODE] = services.new_code()
        return redirect("opinions:public_thanks", org.code)
    limits.hit("submit_ip", ip)
    limits.hit("submit_ip_day", ip)
    limits.hit("submit_org", org.code)
    try:
        _, code = services.submit_public_opinion(
            org=org,
            topic=data["topic"],
            text=data["text"],
            contact=data["contact"],
            name=data["name"],
            anonymous=data["anonymous"] or not data["name"].strip(),
            photos=data["photos"],
        )
    except Invalid as error:
        form.add_error(None, str(error))
        return render(request, "opinions/public_form.html", {**context, "form": form}, status=400)
    request.session[SESSION_CODE] = code
    return redirect("opinions:public_thanks", org.code)


@login_not_required
@never_cache
@require_GET
def public_thanks(request, org_code):
    org = _org(org_code)
    code = request.session.pop(SESSION_CODE, None)
    if code is None:
        return redirect("opinions:public_form", org.code)
    return render(request, "opinions/public_thanks.html", {"org": org, "code": code})


def _tracking_page(request, code: str, status=200, **extra):
    opinion = services.find_by_code(code)
    found = selectors.tracking(opinion) if opinion else None
    context = {
        "form": TrackForm(initial={"code": code}),
        "found": found,
        "looked_up": True,
        "rate_form": RateForm(initial={"code": code}) if found and found.can_rate else None,
        **extra,
    }
    return render(request, "opinions/track.html", context, status=status)


@checks_own_body
@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    """Look up an opinion by its code. The code travels in the body, never the address, so it
    stays out of logs and referrers. Found or not, the answer takes one indexed lookup."""
    if request.method == "GET":
        return render(request, "opinions/track.html", {"form": TrackForm()})
    ip = _ip(request)
    if not limits.hit("lookup_ip", ip):
        return _too_many(request, "opinions/track.html", {"form": TrackForm()}, "lookup_ip")
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "opinions/track.html", {"form": form}, status=400)
    return _tracking_page(request, form.cleaned_data["code"])


@checks_own_body
@login_not_required
@never_cache
@require_POST
def rate(request):
    ip = _ip(request)
    if not limits.hit("rate_ip", ip):
        return _too_many(request, "opinions/track.html", {"form": TrackForm()}, "rate_ip")
    form = RateForm(request.POST)
    if not form.is_valid():
        code = request.POST.get("code", "")
        return _tracking_page(request, code, status=400, rate_error="请选择一项评价")
    try:
        services.rate_opinion(code=form.cleaned_data["code"], rating=form.cleaned_data["rating"])
    except Invalid as error:
        return _tracking_page(request, form.cleaned_data["code"], status=400, rate_error=str(error))
    return _tracking_page(request, form.cleaned_data["code"], rated=True)


@login_not_required
@cache_control(public=True, max_age=300)
@require_GET
@shared_page
def board(request, org_code):
    org = _org(org_code)
    figures = selectors.opinion_figures(org.path)
    return render(
        request,
        "opinions/board.html",
        {"org": org, "items": selectors.public_board(org), "figures": figures},
    )


@login_not_required
@cache_control(public=True, max_age=86400)
@require_GET
def qr_code(request, org_code):
    org = _org(org_code)
    out = io.BytesIO()
    segno.make(form_url(request, org), error="m").save(out, kind="svg", scale=8, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")
