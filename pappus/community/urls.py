from django.urls import path

from pappus.community import views

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
]
