from django.urls import path

from fangyi.quarantine import views

app_name = "quarantine"
urlpatterns = [
    path("", views.worklists, name="worklists"),
    path("facilities/", views.facility_board, name="facilities"),
    path("intake/", views.intake, name="intake"),
    path("intake/places/", views.intake_places, name="intake_places"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/do/<str:action>/", views.case_action, name="action"),
    path("cases/<int:pk>/tests/<int:test_pk>/result/", views.test_result, name="test_result"),
    path("cases/<int:pk>/<str:document>.pdf", views.case_document, name="document"),
    path("cases/<int:pk>/checkin-link/", views.checkin_reissue, name="checkin_reissue"),
    path("alerts/<int:pk>/<str:action>/", views.alert_action, name="alert"),
]
