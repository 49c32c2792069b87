from django.urls import path

from pappus.ads import views

app_name = "ads"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("setup/", views.setup, name="setup"),
    path("setup/accounts/", views.account_create, name="account_create"),
    path("setup/campaigns/", views.campaign_create, name="campaign_create"),
    path("setup/days/", views.daily_enter, name="daily_enter"),
    path("setup/rates/", views.rate_set, name="rate_set"),
    path("setup/meta/", views.meta_sync, name="meta_sync"),
    path("setup/reading/", views.reading_set, name="reading_set"),
    path("imports/", views.imports_page, name="imports"),
    path("imports/upload/", views.import_upload, name="import_upload"),
    path("imports/<int:import_id>/", views.import_detail, name="import"),
]

urlpatterns += [
    path("reallocation/", views.reallocation, name="reallocation"),
    path("reallocation/decide/", views.reallocation_decide, name="reallocation_decide"),
    path("reallocation/<int:reallocation_id>/outcome/", views.reallocation_outcome, name="reallocation_outcome"),
    path("attribution/", views.attribution_page, name="attribution"),
    path("attribution/settings/", views.attribution_settings, name="attribution_settings"),
    path("attribution/conversions/", views.conversions_upload, name="conversions_upload"),
]
