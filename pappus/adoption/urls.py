from django.urls import path

from pappus.adoption import views

app_name = "adoption"

urlpatterns = [
    path("", views.usage, name="usage"),
    path("scorecards/", views.scorecards, name="scorecards"),
    path("scorecards/me/", views.my_scorecard, name="my_scorecard"),
    path("scorecards/<int:user_id>/", views.person_scorecard, name="person_scorecard"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("me/", views.about_me, name="about_me"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("settings/checklist/", views.checklist_add, name="checklist_add"),
    path("settings/checklist/<int:item_id>/delete/", views.checklist_delete, name="checklist_delete"),
    path("settings/", views.settings_page, name="settings"),
    path("duties/", views.duties, name="duties"),
    path("playbook/", views.playbook, name="playbook"),
    path("playbook/duties/", views.duty_add, name="duty_add"),
    path("playbook/duties/<int:duty_id>/delete/", views.duty_delete, name="duty_delete"),
    path("playbook/from-raci/", views.playbook_seed, name="playbook_seed"),
    path("learn/", views.learn, name="learn"),
    path("settings/targets/", views.target_set, name="target_set"),
    path("settings/targets/<int:target_id>/delete/", views.target_delete, name="target_delete"),
]
