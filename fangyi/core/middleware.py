"""Language choice: Simplified Chinese unless the user picked English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a phone or
PC set to English would get English pages unasked. fangyi is Chinese first: pages
use the language cookie set by the switch on every page, else zh-hans. The API
also honours Accept-Language, for other systems that ask for English, and so do the
pages residents open from a link without logging in (`resident_page`): a resident whose
phone speaks English (a foreign worker, a Hong Kong resident) gets English unasked.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, except when that is one of the proxies named in
    FANGYI_TRUSTED_PROXIES: then the last address in X-Forwarded-For that is not such a
    proxy (what a client writes there itself comes before, and is not believed). Behind a
    proxy without that setting every client has the proxy's address. Kept in the access
    log of reveals and exports, counted by the rate limits and the login lockout."""
    address = request.META.get("REMOTE_ADDR")
    trusted = settings.TRUSTED_PROXIES
    if address in trusted:
        hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
            address = hop
            if hop not in trusted:
                break
    return address


def language_for(request, *, follow_browser: bool = False) -> str:
    """The language of a request: the switch's cookie; else, for the API and for pages
    residents open (`follow_browser`), Accept-Language; else Chinese."""
    supported = {code for code, _name in settings.LANGUAGES}
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in supported:
        return chosen
    if follow_browser or request.path_info.startswith("/api/"):
        asked = translation.get_language_from_request(request)
        if asked in supported:
            return asked
    return settings.LANGUAGE_CODE


def resident_page(view):
    """Mark a view as a page residents open from a link, without logging in: when no
    language was chosen with the switch, it follows the phone's Accept-Language."""
    view.fangyi_resident_page = True
    return view


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        response.headers.setdefault("Content-Language", translation.get_language() or language)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "fangyi_resident_page", False):
            translation.activate(language_for(request, follow_browser=True))
            request.LANGUAGE_CODE = translation.get_language()
