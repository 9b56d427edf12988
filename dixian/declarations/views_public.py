"""The public self-declaration page (/declare/): no login, built for a phone, reached by a village QR code.

Nothing here shows anyone's personal data: the pages show region names, the form the applicant fills in,
the reference of the applicant's own declaration (kept in the applicant's session) and, for a reference
with its phone number, a status in plain words. Answers never depend on whether the ID number is in the
registry.
"""

from __future__ import annotations

import datetime as dt
import math

from captcha.views import captcha_image as draw_captcha_image
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dixian.common.http import HtmxHttpRequest, client_ip
from dixian.common.ratelimit import RateLimited, rate_limit_retry_at
from dixian.regions.models import Region

from . import selectors, services
from .forms import DeclarationForm, StatusLookupForm
from .models import Bucket
from .services import DeclarationInput

SESSION_REFERENCE = "declare_reference"
HOTLINE = "12317"

LIMIT_MESSAGES = {
    Bucket.DECLARE_IP: "为防止恶意提交,同一网络每{window}最多提交{limit}次申报。",
    Bucket.DECLARE_ID: "同一个身份证号每{window}最多提交{limit}次申报,您的申报已经收到,村里会尽快联系您。",
    Bucket.LOOKUP_IP: "为保护申报人信息,同一网络每{window}最多查询{limit}次。",
    Bucket.CAPTCHA_IP: "为防止恶意提交,同一网络每{window}最多获取{limit}次验证码。",
    Bucket.CAPTCHA_IMAGE_IP: "为防止恶意提交,同一网络每{window}最多加载{limit}次验证码图片。",
}


def _window_words(window: dt.timedelta) -> str:
    return "天" if window >= dt.timedelta(days=1) else "小时"


def too_many(request: HttpRequest, limited: RateLimited) -> HttpResponse:
    """429 with when to try again (local time) and the hotline."""
    now = timezone.now()
    seconds = max(60, math.ceil((limited.retry_at - now).total_seconds()))
    retry_local = timezone.localtime(limited.retry_at)
    same_day = retry_local.date() == timezone.localdate(now)
    context = {
        "reason": LIMIT_MESSAGES[Bucket(limited.bucket)].format(
            window=_window_words(limited.window), limit=limited.limit
        ),
        "retry_text": f"{'今天' if same_day else retry_local.strftime('%m月%d日')} {retry_local:%H:%M}",
        "minutes": math.ceil(seconds / 60),
        "hotline": HOTLINE,
    }
    response = render(request, "declarations/public_limited.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _places(request: HttpRequest, village: Region | None) -> dict[str, object]:
    """The county → township → village selects, filled from a chosen village or from the GET choices."""
    if village is not None and village.parent is not None and village.parent.parent is not None:
        county_code, township_code, village_code = (
            village.parent.parent.code,
            village.parent.code,
            village.code,
        )
    else:
        chosen = request.POST if request.method == "POST" else request.GET
        county_code = chosen.get("county", "")
        township_code = chosen.get("township", "")
        village_code = chosen.get("village", "")
    townships = selectors.region_children(county_code, Region.Level.TOWNSHIP)
    if township_code not in {t.code for t in townships}:
        township_code, village_code = "", ""
    villages = selectors.region_children(township_code, Region.Level.VILLAGE)
    if village_code not in {v.code for v in villages}:
        village_code = ""
    return {
        "counties": selectors.counties(),
        "townships": townships,
        "villages": villages,
        "county_code": county_code,
        "township_code": township_code,
        "village_code": village_code,
    }


def _form_page(request: HttpRequest, form: DeclarationForm, fixed: Region | None) -> HttpResponse:
    """The form with a fresh bot check, which counts toward the network's captchas (docs/security.md §7)."""
    try:
        services.captcha_take(ip=client_ip(request))
    except RateLimited as limited:
        return too_many(request, limited)
    chosen = form.cleaned_data.get("village") if form.is_bound and hasattr(form, "cleaned_data") else None
    if not isinstance(chosen, Region):
        chosen = fixed
    context = {"form": form, "fixed_village": fixed, "hotline": HOTLINE, **_places(request, chosen)}
    return render(request, "declarations/public_form.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def declare_form(request: HttpRequest, code: str | None = None) -> HttpResponse:
    fixed = selectors.village_public(code) if code is not None else None
    if request.method == "GET":
        form = DeclarationForm(initial={"village": fixed.code if fixed else ""})
        return _form_page(request, form, fixed)

    ip = client_ip(request)
    limit, window = services.declare_ip_limit()
    retry = rate_limit_retry_at(bucket=Bucket.DECLARE_IP, value=ip, limit=limit, window=window)
    if retry is not None:  # refused before the form is read: a flood costs one indexed count per request
        return too_many(request, RateLimited(Bucket.DECLARE_IP, retry, limit, window))
    form = DeclarationForm(request.POST)
    if not form.is_valid():
        if "captcha" in form.errors:
            # docs/security.md §7: a wrong answer costs one of the network's declarations.
            try:
                services.wrong_captcha_take(ip=ip)
            except RateLimited as limited:
                return too_many(request, limited)
        return _form_page(request, form, fixed)
    data = form.cleaned_data
    try:
        declaration = services.declaration_submit(
            data=DeclarationInput(
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                village=data["village"],
                difficulty=data["difficulty"],
                description=data["description"],
                consent=data["consent"],
            ),
            ip=ip,
        )
    except RateLimited as limited:
        return too_many(request, limited)
    except ValidationError as e:
        form.add_error(None, e)
        return _form_page(request, form, fixed)
    request.session[SESSION_REFERENCE] = declaration.reference
    return redirect("declare:done")


@never_cache
@require_GET
def declare_done(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(SESSION_REFERENCE)
    if not reference:
        return redirect("declare:form")
    return render(request, "declarations/public_done.html", {"reference": reference, "hotline": HOTLINE})


@require_GET
def declare_places(request: HttpRequest) -> HttpResponse:
    """htmx: the county → township → village selects after one of them changed (region names only)."""
    return render(request, "declarations/partials/_places.html", _places(request, None))


@never_cache
@require_GET
def declare_captcha(request: HttpRequest) -> HttpResponse:
    """htmx: a fresh bot check (换一张), counted toward the network's captchas (docs/security.md §7)."""
    try:
        services.captcha_take(ip=client_ip(request))
    except RateLimited as limited:
        return too_many(request, limited)
    return render(request, "declarations/partials/_captcha.html", {"form": DeclarationForm()})


@never_cache
@require_http_methods(["GET", "POST"])
def declare_status(request: HtmxHttpRequest) -> HttpResponse:
    """Reference + phone → the status in plain words; either one wrong gives the same 'not found'."""
    context: dict[str, object] = {"hotline": HOTLINE}
    if request.method == "GET":
        context["form"] = StatusLookupForm()
        return render(request, "declarations/public_status.html", context)
    try:
        services.lookup_take(ip=client_ip(request))
    except RateLimited as limited:
        return too_many(request, limited)
    form = StatusLookupForm(request.POST)
    context["form"] = form
    if form.is_valid():
        declaration = selectors.declaration_status_lookup(
            reference=form.cleaned_data["reference"], phone=form.cleaned_data["phone"]
        )
        context["looked_up"] = True
        context["found"] = declaration
    template = (
        "declarations/partials/_status_result.html" if request.htmx else "declarations/public_status.html"
    )
    return render(request, template, context)


def captcha_image(request: HttpRequest, key: str, scale: int = 1) -> HttpResponse:
    """django-simple-captcha's image, drawn only while the network has images left (docs/security.md §7)."""
    try:
        services.captcha_image_take(ip=client_ip(request))
    except RateLimited as limited:
        seconds = max(60, math.ceil((limited.retry_at - timezone.now()).total_seconds()))
        return HttpResponse(status=429, headers={"Retry-After": str(seconds)})
    response: HttpResponse = draw_captcha_image(request, key, scale=scale)
    return response
