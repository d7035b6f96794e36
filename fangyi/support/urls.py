from django.urls import path

from fangyi.support import views

app_name = "support"
urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/<int:zone_pk>/<str:date>/", views.round_detail, name="round"),
    path("rounds/<int:zone_pk>/<str:date>/labels.pdf", views.round_labels, name="labels"),
    path("orders/new/", views.order_new, name="order_new"),
    path("orders/<int:pk>/assign/", views.order_assign, name="order_assign"),
    path("orders/<int:pk>/deliver/", views.order_deliver, name="order_deliver"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("people/<int:person_pk>/link/", views.link_reissue, name="link_reissue"),
    path("requests/", views.request_list, name="requests"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/<str:action>/", views.request_action, name="request_action"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit_done"),
    path("volunteers/", views.volunteer_list, name="volunteers"),
    path("care-groups/", views.care_group_list, name="care_groups"),
    path("suppliers/", views.supplier_list, name="suppliers"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier"),
    path("r/<str:token>/", views.resident, name="resident"),
]
