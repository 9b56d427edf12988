from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from dixian.accounts.capabilities import landing_url


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """ "/" (and the page after login): the account's work page, chosen by its capabilities."""
    return redirect(landing_url(request.user))
