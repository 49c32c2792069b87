from django.urls import path

from pappus.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:key>.csv", views.export_csv, name="export"),
    path("export/<slug:key>.xlsx", views.export_xlsx, name="export_xlsx"),
]
