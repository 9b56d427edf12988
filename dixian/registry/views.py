from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .selectors import household_get_for_user, household_scope_for_user


def home(request: HttpRequest) -> HttpResponse:
    return redirect("registry:household_list")


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    qs = household_scope_for_user(request.user).select_related("region").order_by("region_code", "id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "registry/household_list.html", {"page": page})


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = household_get_for_user(request.user, pk)
    return render(request, "registry/household_detail.html", {"household": household})
