from __future__ import annotations

from django.urls import path

from . import views_public

app_name = "declare"
urlpatterns = [
    path("", views_public.declare_form, name="form"),
    path("v/<str:code>/", views_public.declare_form, name="village"),
    path("done/", views_public.declare_done, name="done"),
    path("places/", views_public.declare_places, name="places"),
    path("captcha/", views_public.declare_captcha, name="captcha"),
    path("status/", views_public.declare_status, name="status"),
]
