from django.urls import path

from fangyi.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("zones/<int:pk>/", views.zone_map, name="zone_map"),
    path("zones/<int:pk>/poster.pdf", views.poster, name="poster"),
    path("zones/<int:pk>/base-image", views.base_image, name="base_image"),
    path("zones/<int:pk>/base-image/remove", views.base_image_remove, name="base_image_remove"),
    path("buildings/<int:pk>/", views.building, name="building"),
    path("buildings/<int:pk>/polygon", views.building_polygon, name="polygon"),
    path("stats/", views.stats, name="stats"),
    path("cases/new/", views.case_new, name="case_new"),
    path("daily.xlsx", views.daily_xlsx, name="daily"),
    path("daily/<int:district_id>/<str:day>.xlsx", views.daily_issued, name="daily_issued"),
    path("unverified/", views.unverified, name="unverified"),
]
