from django.urls import path

from pappus.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.plan, name="plan"),
    path("calendar/", views.month, name="calendar"),
    path("failed/", views.failed, name="failed"),
    path("new/", views.post_new, name="post_new"),
    path("check/", views.variant_check, name="variant_check"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/variants/", views.variant_add, name="variant_add"),
    path("posts/<int:post_id>/comments/", views.comment_add, name="comment_add"),
    path("posts/<int:post_id>/review-link/", views.review_link, name="review_link"),
    path("posts/<int:post_id>/reschedule/", views.reschedule, name="reschedule"),
    path("posts/<int:post_id>/<slug:action>/", views.post_action, name="post_action"),
    path("variants/<int:variant_id>/remove/", views.variant_remove, name="variant_remove"),
    path("variants/<int:variant_id>/resolve/", views.variant_resolve, name="variant_resolve"),
    path("review/<str:token>/", views.review, name="review"),
]
