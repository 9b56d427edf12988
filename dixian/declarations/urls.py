from __future__ import annotations

from django.urls import path

from . import views

app_name = "declarations"
urlpatterns = [
    path("", views.declaration_list, name="list"),
    path("<int:pk>/", views.declaration_detail, name="detail"),
    path("<int:pk>/status/", views.declaration_status, name="status"),
    path("<int:pk>/register/", views.declaration_register, name="register"),
    path("villages/", views.village_list, name="villages"),
    path("villages/<str:code>/qr.svg", views.village_qr_svg, name="village_qr_svg"),
    path("villages/<str:code>/qr.png", views.village_qr_png, name="village_qr_png"),
    path("villages/<str:code>/poster/", views.village_poster, name="village_poster"),
]
