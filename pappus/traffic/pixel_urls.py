"""``/t/``: the first-party pixel, mounted at the site's root (config/urls.py)."""

from django.urls import path

from pappus.traffic import views

app_name = "pixel"

urlpatterns = [
    path("p.js", views.snippet, name="snippet"),
    path("hit.gif", views.hit, name="hit"),
]
