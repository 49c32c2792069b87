from django.urls import path

from pappus.listening import views

app_name = "listening"

urlpatterns = [
    path("hooks/listening/<str:token>/", views.webhook_receive, name="webhook"),
    path("listening/mentions/", views.mention_list, name="mentions"),
    path("listening/mentions/export.csv", views.mention_export, name="mention_export"),
    path("listening/topics/", views.topic_list, name="topics"),
    path("listening/topics/<int:topic_id>/", views.topic_list, name="topic"),
    path("listening/topics/check/", views.topic_query_check, name="topic_check"),
    path("listening/sources/", views.source_list, name="sources"),
    path("listening/sources/<int:source_id>/", views.source_detail, name="source"),
    path("listening/imports/<int:import_id>/", views.file_import_detail, name="file_import"),
    path("listening/rejected/", views.rejected_list, name="rejected"),
]
