from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from fangyi.api import api, unknown_path
from fangyi.core import healthz, metrics
from fangyi.metrics import COLLECTOR as _DOMAIN_METRICS  # noqa: F401 (registers it)
from fangyi.people import place_views as places_views
from fangyi.people import views as people_views
from fangyi.quarantine import views as quarantine_views

urlpatterns = [
    path("", places_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("places/<str:level>/<int:pk>/", places_views.place_detail, name="place"),
    path("dwellings/<int:pk>/", places_views.dwelling_detail, name="dwelling"),
    path(
        "dwellings/<int:dwelling_pk>/people/new/", people_views.person_create, name="person_create"
    ),
    path("people/<int:pk>/", people_views.person_detail, name="person"),
    path("people/<int:pk>/edit/", people_views.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/<str:field>/", people_views.person_reveal, name="person_reveal"),
    path("search/", people_views.search, name="search"),
    path("", include("fangyi.health.exposure_urls")),
    path("alerts/", include("fangyi.health.urls")),
    path("quarantine/", include("fangyi.quarantine.urls")),
    path("passes/", include("fangyi.passes.urls")),
    path("reports/", include("fangyi.reports.urls")),
    path("screening/", include("fangyi.screening.urls")),
    path("jobs/", include("fangyi.jobs.urls")),
    path("support/", include("fangyi.support.urls")),
    path("c/<str:token>/", quarantine_views.checkin_page, name="checkin"),
    path("api/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", unknown_path),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # For the proxy, the orchestrator and Prometheus (docs/operations.md).
    path("healthz", healthz.healthz, name="healthz"),
    path("metrics", metrics.metrics_view, name="metrics"),
]
