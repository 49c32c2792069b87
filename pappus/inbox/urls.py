from django.urls import path

from pappus.inbox import settings_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
    path("settings/", settings_views.overview, name="settings"),
    path("settings/teams/", settings_views.team_create, name="settings_team_create"),
    path("settings/teams/<int:team_id>/", settings_views.team_detail, name="settings_team"),
    path("settings/rules/", settings_views.rule_create, name="settings_rule_create"),
    path("settings/rules/test/", settings_views.rule_test, name="settings_rule_test"),
    path("settings/rules/<int:rule_id>/", settings_views.rule_detail, name="settings_rule"),
    path("settings/rules/<int:rule_id>/move/", settings_views.rule_move, name="settings_rule_move"),
    path("settings/replies/", settings_views.reply_create, name="settings_reply_create"),
    path("settings/replies/preview/", settings_views.reply_preview, name="settings_reply_preview"),
    path("settings/replies/<int:reply_id>/", settings_views.reply_detail, name="settings_reply"),
    path("settings/reasons/", settings_views.reasons, name="settings_reasons"),
    path("<int:conversation_id>/", views.conversation, name="conversation"),
    path("<int:conversation_id>/reply/", views.reply, name="reply"),
    path("<int:conversation_id>/assign/", views.assign, name="assign"),
    path("<int:conversation_id>/close/", views.close, name="close"),
    path("<int:conversation_id>/reopen/", views.reopen, name="reopen"),
    path("<int:conversation_id>/note/", views.note, name="note"),
    path("<int:conversation_id>/tag/", views.tag, name="tag"),
    path("<int:conversation_id>/presence/", views.presence, name="presence"),
    path("messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("messages/<int:message_id>/moderate/", views.moderate, name="moderate"),
]
