from django.urls import path

from pappus.community import event_views, health_views, leader_views, segment_views, views

app_name = "community"

urlpatterns = [
    path("", views.member_list, name="members"),
    path("members/<int:member_id>/", views.member_detail, name="member"),
    path("members/<int:member_id>/export.json", views.member_export, name="member_export"),
    path("suggestions/", views.suggestion_list, name="suggestions"),
    path("suggestions/<int:suggestion_id>/", views.suggestion_decide, name="suggestion_decide"),
    path("merges/<int:record_id>/split/", views.merge_split, name="merge_split"),
    path("core-fans/", views.core_fans, name="core_fans"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
    path("settings/", views.community_settings, name="settings"),
    path("health/", health_views.health_page, name="health"),
    path("leaders/", leader_views.leader_list, name="leaders"),
    path("leaders/<int:leader_id>/", leader_views.leader_detail, name="leader"),
    path("events/", event_views.event_list, name="events"),
    path("events/<int:event_id>/", event_views.event_detail, name="event"),
    # Public, without login: the registration page and a person's ticket (its token is the secret).
    path("e/<slug:slug>/", event_views.event_public, name="event_public"),
    path("ticket/<str:token>/", event_views.event_ticket, name="event_ticket"),
    path("ticket/<str:token>/qr.<str:kind>", event_views.event_ticket_qr, name="event_ticket_qr"),
    path("segments/", segment_views.segment_list, name="segments"),
    path("segments/<int:segment_id>/", segment_views.segment_detail, name="segment"),
]
