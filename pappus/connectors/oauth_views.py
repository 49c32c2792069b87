"""OAuth pages: the workspace's app for a network, starting a sign-in, and the network's callback.

Thin: forms parse, :mod:`pappus.connectors.oauth` writes (audited, role-checked) and talks to the
token endpoint. A callback whose state is not this user's and session's open sign-in gets a clear
error page (400) and changes nothing.
"""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from pappus.connectors import oauth, registry, selectors
from pappus.connectors.base import HttpConnector
from pappus.connectors.errors import ConnectorError
from pappus.connectors.models import ConnectedAccount, OAuthApp, OAuthChoice
from pappus.connectors.oauth_forms import OAuthAppForm, OAuthStartForm
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action
from pappus.core.views import actor_of, member_required, signed_in_user


def _oauth_network(network: str) -> tuple[type[HttpConnector], oauth.OAuthSpec]:
    try:
        connector_class = registry.connector_class(network)
    except LookupError:
        raise Http404(network) from None
    spec = oauth.spec_of(network)
    if spec is None:
        raise Http404(network)
    return connector_class, spec


def redirect_uri(request: HttpRequest, network: str) -> str:
    """The address to copy into the network's developer console; the network sends people back to it."""
    return request.build_absolute_uri(reverse("connectors:oauth_callback", args=[network]))


def _session_key(request: HttpRequest) -> str:
    if not request.session.session_key:
        request.session.save()
    return str(request.session.session_key or "")


@member_required(Action.CONNECTORS_MANAGE)
def oauth_connect(request: HttpRequest, membership: Membership, network: str) -> HttpResponse:
    """Sign in with the network: the app's state, the redirect address, the scopes, the sign-in button."""
    connector_class, spec = _oauth_network(network)
    app = oauth.oauth_app_get(membership, network)
    form = OAuthStartForm(connector_class, Region.objects.for_workspace(membership.workspace_id))
    context = {
        "page_title": _("Connect %(network)s") % {"network": connector_class.label},
        "network": network,
        "label": connector_class.label,
        "spec": spec,
        "app": app,
        "scopes": oauth.app_scopes(app, spec) if app is not None else spec.scopes,
        "redirect_uri": redirect_uri(request, network),
        "form": form,
    }
    return render(request, "connectors/oauth_connect.html", context)


@member_required(Action.CONNECTORS_MANAGE)
def oauth_app(request: HttpRequest, membership: Membership, network: str) -> HttpResponse:
    connector_class, spec = _oauth_network(network)
    app = oauth.oauth_app_get(membership, network)
    initial = {
        "authorize_url": app.authorize_url if app else spec.authorize_url,
        "token_url": app.token_url if app else spec.token_url,
        "api_base_url": app.api_base_url if app else connector_class.default_base_url,
        "client_id": app.client_id if app else "",
        "scopes": app.scopes if app else "",
    }
    form = OAuthAppForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            oauth.oauth_app_save(actor=actor_of(request), membership=membership, network=network, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The %(network)s app is saved.") % {"network": connector_class.label})
            return redirect("connectors:oauth_connect", network=network)
    context = {
        "page_title": _("Your %(network)s app") % {"network": connector_class.label},
        "network": network,
        "label": connector_class.label,
        "spec": spec,
        "app": app,
        "redirect_uri": redirect_uri(request, network),
        "form": form,
    }
    response = render(request, "connectors/oauth_app.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)
    return response


@require_POST
@member_required(Action.CONNECTORS_MANAGE)
def oauth_start(request: HttpRequest, membership: Membership, network: str) -> HttpResponseBase:
    """Send the person to the network's consent page (POST, so a link elsewhere cannot start it)."""
    connector_class, _spec = _oauth_network(network)
    account: ConnectedAccount | None = None
    if request.POST.get("account"):
        try:
            account = selectors.account_get(membership, int(request.POST["account"]))
        except (ValueError, ConnectedAccount.DoesNotExist):
            raise Http404 from None
    form = OAuthStartForm(connector_class, Region.objects.for_workspace(membership.workspace_id), request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a region of this workspace."))
        return redirect("connectors:oauth_connect", network=network)
    try:
        url = oauth.authorization_start(
            membership=membership,
            network=network,
            user_id=signed_in_user(request).pk,
            session_key=_session_key(request),
            redirect_uri=redirect_uri(request, network),
            account=account,
            region=form.cleaned_data["region"],
            options=form.options(),
        )
    except OAuthApp.DoesNotExist:
        messages.error(
            request,
            _("Enter the client id and secret of your %(network)s app first.") % {"network": connector_class.label},
        )
        return redirect("connectors:oauth_app", network=network)
    response = redirect(url)
    add_never_cache_headers(response)
    return response


def _error_page(request: HttpRequest, connector_class: type[HttpConnector], message: str) -> HttpResponse:
    context = {
        "page_title": _("Signing in with %(network)s did not work") % {"network": connector_class.label},
        "network": connector_class.network,
        "label": connector_class.label,
        "message": message,
    }
    response = render(request, "connectors/oauth_error.html", context, status=400)
    add_never_cache_headers(response)
    return response


@member_required(Action.CONNECTORS_MANAGE)
def oauth_callback(request: HttpRequest, membership: Membership, network: str) -> HttpResponse:
    """Where the network sends the person back with ``code`` and ``state`` (or ``error``)."""
    connector_class, spec = _oauth_network(network)
    state = request.GET.get("state", "")
    user = signed_in_user(request)
    if request.GET.get("error"):
        # The person declined, or the network refused the request: the sign-in is over either way.
        with contextlib.suppress(oauth.StateMismatchError):
            oauth.state_take(
                state=state,
                network=network,
                workspace_id=membership.workspace_id,
                user_id=user.pk,
                session_key=_session_key(request),
            )
        reason = request.GET.get("error_description") or request.GET["error"]
        return _error_page(
            request,
            connector_class,
            _("%(network)s did not give access: %(reason)s") % {"network": connector_class.label, "reason": reason},
        )
    try:
        account = oauth.authorization_complete(
            actor=actor_of(request),
            membership=membership,
            network=network,
            state=state,
            code=request.GET.get("code", ""),
            user_id=user.pk,
            session_key=_session_key(request),
            callback={name: request.GET.get(name, "") for name in spec.callback_fields},
        )
    except oauth.StateMismatchError:
        return _error_page(
            request,
            connector_class,
            _(
                "This sign-in was not started here, was already used or took too long (the state does not match). "
                "Nothing was changed: start again from the connect page."
            ),
        )
    except ConnectorError as error:
        return _error_page(request, connector_class, _("The network refused: %(reason)s") % {"reason": str(error)})
    except ValidationError as error:
        return _error_page(request, connector_class, " ".join(error.messages))
    if isinstance(account, OAuthChoice):
        return redirect("connectors:oauth_choose", network=network, choice_id=account.pk)
    messages.success(request, _("%(account)s is connected.") % {"account": account.handle})
    return redirect("connectors:health")


CHOICE_EXPIRED = _lazy(
    "This choice was not started here, was already used or took too long. Nothing was changed: sign in again."
)


@member_required(Action.CONNECTORS_MANAGE)
def oauth_choose(request: HttpRequest, membership: Membership, network: str, choice_id: int) -> HttpResponse:
    """Pick which of the accounts the sign-in gave access to are connected (Facebook Pages, Instagram)."""
    connector_class, _spec = _oauth_network(network)
    user = signed_in_user(request)
    session_key = _session_key(request)
    try:
        row, candidates = oauth.choice_get(
            membership=membership, network=network, choice_id=choice_id, user_id=user.pk, session_key=session_key
        )
    except oauth.StateMismatchError:
        return _error_page(request, connector_class, str(CHOICE_EXPIRED))
    error = ""
    if request.method == "POST":
        try:
            accounts = oauth.choice_complete(
                actor=actor_of(request),
                membership=membership,
                network=network,
                choice_id=choice_id,
                user_id=user.pk,
                session_key=session_key,
                remote_ids=request.POST.getlist("remote_id"),
            )
        except oauth.StateMismatchError:
            return _error_page(request, connector_class, str(CHOICE_EXPIRED))
        except ConnectorError as failure:
            return _error_page(request, connector_class, _("The network refused: %(reason)s") % {"reason": failure})
        except ValidationError as failure:
            error = " ".join(failure.messages)
        else:
            handles = ", ".join(account.handle for account in accounts)
            messages.success(request, _("%(account)s is connected.") % {"account": handles})
            return redirect("connectors:health")
    context = {
        "page_title": _("Choose what to connect from %(network)s") % {"network": connector_class.label},
        "network": network,
        "label": connector_class.label,
        "choice": row,
        "candidates": candidates,
        "error": error,
    }
    response = render(request, "connectors/oauth_choose.html", context, status=400 if error else 200)
    add_never_cache_headers(response)
    return response
