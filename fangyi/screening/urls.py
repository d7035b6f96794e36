from django.urls import path

from fangyi.screening import views, views_io

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("sw.js", views.service_worker, name="sw"),
    path("campaigns/new/<str:level>/<int:pk>/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("campaigns/<int:pk>/reopen/", views.campaign_reopen, name="campaign_reopen"),
    path("campaigns/<int:pk>/teams/new/", views.team_new, name="team_new"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:pk>/dissolve/", views.team_dissolve, name="team_dissolve"),
    path("teams/<int:pk>/dwellings/<int:dwelling_pk>/", views.visit, name="visit"),
    path("people/<str:level>/<int:pk>/", views_io.place_people, name="place_people"),
    path("people/<str:level>/<int:pk>/export.xlsx", views_io.export, name="export"),
    path("import/<int:zone_pk>/", views_io.import_upload, name="import_upload"),
    path("import/<int:zone_pk>/<str:token>/", views_io.import_check, name="import_check"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("duplicates/merge/", views.merge, name="merge"),
]
