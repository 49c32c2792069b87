from django.urls import path

from pappus.listening import views

app_name = "listening"

urlpatterns = [
    path("hooks/listening/<str:token>/", views.webhook_receive, name="webhook"),
]
