from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# No web server with the public embedded key outside the demo (docs/security.md §7).
from dixian.common.checks import refuse_embedded_key  # noqa: E402 - needs the apps loaded above

refuse_embedded_key()
