"""The platform has its own icon, served from its static files (no outside address), on every page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

ICON = "dixian/favicon.svg"


def test_the_icon_is_a_drawn_svg_among_the_static_files():
    path = finders.find(ICON)
    assert path, "static/dixian/favicon.svg is missing"
    text = Path(path).read_text(encoding="utf-8")
    root = ET.fromstring(text)  # noqa: S314 - our own file in the repository
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 32 32"
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


@pytest.mark.django_db
def test_staff_pages_and_the_public_page_link_the_icon(client, world, people):
    link = f'<link rel="icon" href="{static(ICON)}" type="image/svg+xml">'
    assert link in client.get(reverse("accounts:login")).content.decode()
    assert link in client.get(reverse("declare:form")).content.decode()
    client.force_login(people["village_officer"])
    assert link in client.get(reverse("registry:household_list")).content.decode()


def test_a_browser_asking_the_site_root_for_favicon_ico_gets_the_icon(client):
    # Browsers ask /favicon.ico where nothing links an icon (a JSON answer, a downloaded report); it is
    # open to the anonymous visitor like the static file itself.
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    path = finders.find(ICON)
    assert isinstance(path, str)
    assert response.content == Path(path).read_bytes()
