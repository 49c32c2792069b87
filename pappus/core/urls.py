from django.contrib.auth import views as auth_views
from django.urls import path

from pappus.core import token_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("language/", views.set_language, name="language"),
    path("workspace/switch/", views.switch_workspace, name="switch_workspace"),
    path("profile/", views.profile, name="profile"),
    path("team/", views.members, name="members"),
    path("team/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("team/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("regions/", views.regions, name="regions"),
    path("settings/", views.workspace_settings, name="settings"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("healthz", views.health, name="health"),
]
