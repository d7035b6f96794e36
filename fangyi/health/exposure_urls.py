from django.urls import path

from fangyi.health import exposure_views as views

app_name = "contacts"
urlpatterns = [
    path("people/<int:pk>/exposures/", views.exposure_list, name="list"),
    path("people/<int:pk>/exposures/new/", views.exposure_new, name="new"),
    path("exposures/<int:pk>/quarantine/", views.exposure_quarantine, name="quarantine"),
]
