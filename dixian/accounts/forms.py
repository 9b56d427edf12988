from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确,请检查后重新输入(注意区分大小写)。",
        "inactive": "该账号已停用,请联系本级管理员。",
    }
