"""Connector pages: account health, connecting (token entry), reconnecting, disconnecting.

Thin: forms parse, services write (audited, role-checked), selectors read (workspace-scoped).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pappus.connectors import oauth, registry, selectors, services
from pappus.connectors.base import HttpConnector
from pappus.connectors.errors import ConnectorError
from pappus.connectors.forms import AccountSettingsForm, ConnectForm
from pappus.connectors.models import ConnectedAccount, Network
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, role_allows
from pappus.core.views import actor_of, member_required


def _connector_class(network: str) -> type[HttpConnector]:
    try:
        return registry.connector_class(network)
    except LookupError:
        raise Http404(network) from None


def _account(membership: Membership, account_id: int) -> ConnectedAccount:
    try:
        return selectors.account_get(membership, account_id)
    except ConnectedAccount.DoesNotExist:
        raise Http404 from None


def _network_failure(error: ConnectorError) -> str:
    return _("The network refused: %(reason)s") % {"reason": str(error)}


@member_required(Action.CONNECTORS_VIEW)
def health(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = {
        "page_title": _("Connected accounts"),
        "accounts": selectors.accounts_health(membership),
        "can_manage": role_allows(membership.role, Action.CONNECTORS_MANAGE),
    }
    return render(request, "connectors/health.html", context)


@member_required(Action.CONNECTORS_MANAGE)
def connect_choose(request: HttpRequest, membership: Membership) -> HttpResponse:
    # Plain entries: a template would call a connector class it was given.
    networks = [
        {"network": name, "label": registry.connector_class(name).label, "oauth": oauth.spec_of(name) is not None}
        for name in registry.networks()
    ]
    return render(
        request, "connectors/connect_choose.html", {"page_title": _("Connect an account"), "networks": networks}
    )


@member_required(Action.CONNECTORS_MANAGE)
def connect(request: HttpRequest, membership: Membership, network: str) -> HttpResponse:
    connector_class = _connector_class(network)
    regions = Region.objects.for_workspace(membership.workspace_id)
    form = ConnectForm(connector_class, regions, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_connect(
                actor=actor_of(request),
                membership=membership,
                network=network,
                base_url=form.cleaned_data["base_url"],
                credentials=form.credentials(),
                options=form.options(),
                region=form.cleaned_data["region"],
            )
        except ConnectorError as error:
            form.add_error(None, _network_failure(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(account)s is connected.") % {"account": account.handle})
            return redirect("connectors:health")
    context = {
        "page_title": _("Connect %(network)s") % {"network": connector_class.label},
        "form": form,
        "connector": connector_class,
        "network": network,
        "oauth_available": oauth.spec_of(network) is not None,
    }
    response = render(request, "connectors/connect.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)
    return response


@member_required(Action.CONNECTORS_MANAGE)
def reconnect(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    account = _account(membership, account_id)
    connector_class = _connector_class(account.network)
    form = ConnectForm(connector_class, None, request.POST if request.method == "POST" else None, secrets_only=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_reconnect(
                actor=actor_of(request), membership=membership, account=account, credentials=form.credentials()
            )
        except ConnectorError as error:
            form.add_error(None, _network_failure(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(account)s is connected again.") % {"account": account.handle})
            return redirect("connectors:health")
    context = {
        "page_title": _("Reconnect %(account)s") % {"account": account.handle},
        "form": form,
        "connector": connector_class,
        "account": account,
        "network": account.network,
        "oauth_available": oauth.spec_of(account.network) is not None,
    }
    response = render(request, "connectors/connect.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)
    return response


@require_POST
@member_required(Action.CONNECTORS_MANAGE)
def disconnect(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponseBase:
    account = _account(membership, account_id)
    services.account_disconnect(
        actor=actor_of(request),
        membership=membership,
        account=account,
        forget_credentials=request.POST.get("forget") == "1",
    )
    messages.success(request, _("%(account)s is disconnected; its history is kept.") % {"account": account.handle})
    return redirect("connectors:health")


@require_POST
@member_required(Action.CONNECTORS_MANAGE)
def check(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponseBase:
    account = _account(membership, account_id)
    try:
        checked = services.account_check_now(actor=actor_of(request), membership=membership, account=account)
    except ConnectedAccount.DoesNotExist:
        raise Http404 from None
    if checked.last_error:
        messages.error(request, _("%(account)s: %(error)s") % {"account": checked.handle, "error": checked.last_error})
    else:
        messages.success(request, _("%(account)s works.") % {"account": checked.handle})
    return redirect("connectors:health")


@member_required(Action.CONNECTORS_MANAGE)
def account_settings(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    account = _account(membership, account_id)
    connector_class = _connector_class(account.network)
    initial = {"idempotency_window_override": account.idempotency_window_override}
    form = AccountSettingsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_set_idempotency_window(
                actor=actor_of(request),
                membership=membership,
                account=account,
                seconds=form.cleaned_data["idempotency_window_override"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The settings of %(account)s are saved.") % {"account": account.handle})
            return redirect("connectors:health")
    context = {
        "page_title": _("Settings of %(account)s") % {"account": account.handle},
        "form": form,
        "account": account,
        "declared_window": connector_class.idempotency_window_seconds,
        "network_label": connector_class.label,
    }
    if account.network == Network.WECHAT:
        # The server URL to enter in the official account's Server configuration (WeChat calls it).
        context["wechat_callback_url"] = request.build_absolute_uri(
            reverse("connectors:wechat_callback", args=[account.pk])
        )
    return render(request, "connectors/settings.html", context, status=400 if form.errors else 200)
