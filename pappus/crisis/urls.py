from django.urls import path

from pappus.crisis import views

app_name = "crisis"

urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<int:rule_id>/", views.rule_list, name="rule"),
    path("playbooks/", views.playbook_list, name="playbooks"),
    path("playbooks/<int:playbook_id>/", views.playbook_list, name="playbook"),
]
