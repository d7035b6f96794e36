"""The WSGI application gunicorn serves: Django, with gate checks from devices answered
by the scan fast path in front of it (fangyi.passes.fastpath)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangyi.settings")
django_application = get_wsgi_application()

from fangyi.passes.fastpath import ScanFastPath  # noqa: E402 (needs the apps loaded)

application = ScanFastPath(django_application)
