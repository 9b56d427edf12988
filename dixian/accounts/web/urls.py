from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.OwnPasswordChangeView.as_view(), name="password_change"),
    path("totp/", views.totp, name="totp"),
    path("totp/qr.svg", views.totp_qr, name="totp_qr"),
    path("manage/", views.account_list, name="account_list"),
    path("manage/new/", views.account_create, name="account_create"),
    path("manage/<int:pk>/", views.account_edit, name="account_edit"),
    path("manage/<int:pk>/password/", views.account_password, name="account_password"),
    path("manage/<int:pk>/action/", views.account_action, name="account_action"),
]
