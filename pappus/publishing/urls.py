from django.urls import path

from pappus.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.plan, name="plan"),
    path("calendar/", views.month, name="calendar"),
    path("calendar/week/", views.week, name="week"),
    path("failed/", views.failed, name="failed"),
    path("notices/read/", views.notices_read, name="notices_read"),
    path("new/", views.post_new, name="post_new"),
    path("check/", views.variant_check, name="variant_check"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:post_id>/variants/", views.variant_add, name="variant_add"),
    path("posts/<int:post_id>/comments/", views.comment_add, name="comment_add"),
    path("posts/<int:post_id>/review-link/", views.review_link, name="review_link"),
    path("posts/<int:post_id>/reschedule/", views.reschedule, name="reschedule"),
    path("posts/<int:post_id>/links/", views.post_links, name="post_links"),
    path("posts/<int:post_id>/links/new/", views.post_link_create, name="post_link_create"),
    path("posts/<int:post_id>/<slug:action>/", views.post_action, name="post_action"),
    path("variants/<int:variant_id>/remove/", views.variant_remove, name="variant_remove"),
    path("variants/<int:variant_id>/resolve/", views.variant_resolve, name="variant_resolve"),
    path("review/<str:token>/", views.review, name="review"),
    path("links/", views.landing_pages, name="landing_pages"),
    path("evergreen/", views.evergreen_queues, name="evergreen"),
    path("evergreen/new/", views.evergreen_create, name="evergreen_create"),
    path("evergreen/<int:queue_id>/", views.evergreen_change, name="evergreen_change"),
    path("settings/", views.publishing_settings, name="settings"),
    path("assets/", views.asset_library, name="assets"),
    path("assets/upload/", views.asset_upload, name="asset_upload"),
    path("assets/<int:asset_id>/", views.asset_detail, name="asset"),
    path("assets/<int:asset_id>/file/", views.asset_file, name="asset_file"),
    path("assets/<int:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<int:asset_id>/recommend/", views.asset_recommend, name="asset_recommend"),
    path("assets/<int:asset_id>/localize/", views.asset_localize, name="asset_localize"),
    path("variants/<int:variant_id>/assets/", views.variant_asset, name="variant_asset"),
]
