from django.urls import path

from pappus.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("bulk/", views.bulk, name="bulk"),
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
