"""The Content-Security-Policy header (django-csp), on every response but PDFs.

The policy itself is `CONTENT_SECURITY_POLICY` in settings.
"""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponseBase

# Chromium shows a PDF in its own viewer, an <embed> in a page it makes up and to which
# it applies the PDF's policy: `object-src 'none'` and refused inline styles leave the
# notice or certificate blank or squeezed (crbug.com/271452). A PDF runs no script of
# ours, so it goes without the header; every other response (pages, JSON, images,
# spreadsheets) carries it.
WITHOUT_POLICY = ("application/pdf",)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, except for the content types of WITHOUT_POLICY."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in WITHOUT_POLICY:
            return response
        return super().process_response(request, response)
