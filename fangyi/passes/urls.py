from django.urls import path

from fangyi.passes import views

app_name = "passes"
urlpatterns = [
    # Residents, no login.
    path("apply/", views.apply, name="apply"),
    path("apply/buildings/", views.apply_buildings, name="apply_buildings"),
    path("apply/rooms/", views.apply_rooms, name="apply_rooms"),
    path("p/<str:key>/", views.pass_page, name="pass"),
    path("p/<str:key>/status/", views.pass_status, name="pass_status"),
    path("p/<str:key>/pass.pdf", views.pass_pdf, name="pass_pdf"),
    # Staff.
    path("", views.gate_home, name="gates"),
    path("gate-sw.js", views.gate_service_worker, name="gate_sw"),
    path("gates/<int:gate_id>/", views.gate_page, name="gate"),
    path("gates/<int:gate_id>/check/", views.gate_check, name="check"),
    path("gates/<int:gate_id>/visitor/", views.gate_visitor, name="visitor"),
    path("checks/<int:pk>/decide/", views.check_decide, name="decide"),
    path("queue/", views.queue, name="queue"),
    path("applications/<int:pk>/<str:action>/", views.application_action, name="application"),
    path("people/<int:person_id>/", views.person_passes, name="person"),
    path("people/<int:person_id>/<str:action>/", views.person_pass_action, name="person_action"),
    path("board/", views.board, name="board"),
    path("fevers/", views.fevers, name="fevers"),
    path("fevers/<int:pk>/review/", views.fever_review, name="fever_review"),
]
