from django.urls import path

from pappus.connectors import oauth_views, views
from pappus.connectors.wechat import callback as wechat_callback
from pappus.connectors.wechat import views as wechat_views

app_name = "connectors"

urlpatterns = [
    path("", views.health, name="health"),
    path("connect/", views.connect_choose, name="connect_choose"),
    path("connect/<slug:network>/", views.connect, name="connect"),
    path("<int:account_id>/reconnect/", views.reconnect, name="reconnect"),
    path("<int:account_id>/disconnect/", views.disconnect, name="disconnect"),
    path("<int:account_id>/check/", views.check, name="check"),
    path("<int:account_id>/settings/", views.account_settings, name="settings"),
    path("oauth/<slug:network>/", oauth_views.oauth_connect, name="oauth_connect"),
    path("oauth/<slug:network>/app/", oauth_views.oauth_app, name="oauth_app"),
    path("oauth/<slug:network>/start/", oauth_views.oauth_start, name="oauth_start"),
    path("oauth/<slug:network>/callback/", oauth_views.oauth_callback, name="oauth_callback"),
    path("oauth/<slug:network>/choose/<int:choice_id>/", oauth_views.oauth_choose, name="oauth_choose"),
    path("wechat/<int:account_id>/callback/", wechat_callback.callback, name="wechat_callback"),
    path("<int:account_id>/wechat/statistics/", wechat_views.statistics, name="wechat_statistics"),
    path("<int:account_id>/wechat/followers/", wechat_views.followers, name="wechat_followers"),
]
