from django.urls import path

from pappus.traffic import views

app_name = "traffic"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("sites/", views.site_create, name="site_create"),
    path("sites/<int:site_id>/key/", views.site_rotate_key, name="site_rotate_key"),
    path("imports/", views.import_upload, name="import_upload"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
]
