"""``/f/<token>/``: signed, expiring links to assets for networks that fetch files themselves (config/urls.py)."""

from django.urls import path

from pappus.publishing import public_files

app_name = "public_files"

urlpatterns = [path("<str:token>/", public_files.public_asset, name="asset")]
