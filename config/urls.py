"""The URL map: the web shell per app, the REST API under /api/v1."""

from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("connectors/", include("pappus.connectors.urls")),
    path("", include("pappus.listening.urls")),
    path("strategy/", include("pappus.strategy.urls")),
    path("publishing/", include("pappus.publishing.urls")),
    path("l/", include("pappus.publishing.short_urls")),
    path("f/", include("pappus.publishing.public_file_urls")),
    path("t/", include("pappus.traffic.pixel_urls")),
    path("traffic/", include("pappus.traffic.urls")),
    path("inbox/", include("pappus.inbox.urls")),
    path("community/", include("pappus.community.urls")),
    path("ads/", include("pappus.ads.urls")),
    path("crisis/", include("pappus.crisis.urls")),
    path("analytics/", include("pappus.analytics.urls")),
    path("adoption/", include("pappus.adoption.urls")),
    path("", include("pappus.core.urls")),
]
