"""``/l/<code>``: the short links of tracked links, mounted at the site's root (config/urls.py)."""

from django.urls import path

from pappus.publishing import views

app_name = "links"

urlpatterns = [path("<str:code>", views.follow_link, name="follow")]
