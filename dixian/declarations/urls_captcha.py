"""The bot check's image, under django-simple-captcha's URL names, each image counted per network.

Only the image is served: the package's refresh (a JSON way to draw new captchas) and audio URLs are not
routed, so that every captcha is drawn through a counted view (docs/security.md §7).
"""

from __future__ import annotations

from django.urls import re_path

from . import views_public

urlpatterns = [
    re_path(r"image/(?P<key>\w+)/$", views_public.captcha_image, name="captcha-image", kwargs={"scale": 1}),
    re_path(
        r"image/(?P<key>\w+)@2/$", views_public.captcha_image, name="captcha-image-2x", kwargs={"scale": 2}
    ),
]
