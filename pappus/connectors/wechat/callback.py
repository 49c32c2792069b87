"""The WeChat Official Account server callback: ``/connectors/wechat/<account id>/callback/``.

WeChat calls it without a session or CSRF token (it is CSRF-exempt); what proves a request is
WeChat's is the signature over the account's callback token, checked before anything is read:

- ``GET``: URL verification; a correct ``signature`` gets ``echostr`` back.
- ``POST``: a follower's message or event. Plain mode: ``signature`` alone. Encrypted mode (the
  account has an EncodingAESKey; then plain messages are refused): ``msg_signature`` over the
  ``Encrypt`` text too, AES-256-CBC decryption and the app id inside checked. Replays are refused:
  the ``timestamp`` must be within 5 minutes of now and a (timestamp, nonce) is accepted once.
  The message goes into the inbox (``inbox.facade.receive_inbound``; idempotent by ``MsgId``), the
  follower's 48-hour customer-service window opens, and WeChat gets ``success`` at once.

Anything refused gets a 403 and stores nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pappus.connectors import crypto
from pappus.connectors.contracts import InboundItem, InboundKind
from pappus.connectors.models import (
    AccountCredentials,
    AccountStatus,
    ConnectedAccount,
    Network,
    WeChatFollowerWindow,
    WeChatNonce,
)
from pappus.connectors.wechat import protocol

logger = logging.getLogger("pappus.connectors")

TIMESTAMP_WINDOW = datetime.timedelta(minutes=5)
MAXIMUM_BODY_BYTES = 256 * 1024
# Events that are the account's own bookkeeping, not something a follower said.
SILENT_EVENTS = frozenset(
    {"location", "templatesendjobfinish", "masssendjobfinish", "publishjobfinish", "view_miniprogram"}
)


class RefusedError(Exception):
    """A callback that is not WeChat's or not well formed; the reason goes to the log, not the caller."""


def _text_of(message: protocol.CallbackMessage) -> str:
    values = message.fields
    kind = message.msg_type
    if kind == "text":
        return values.get("Content", "")
    if kind == "image":
        return f"[image] {values.get('PicUrl', '')}".strip()
    if kind == "voice":
        recognition = values.get("Recognition", "")
        return f"[voice] {recognition}" if recognition else "[voice message]"
    if kind in {"video", "shortvideo"}:
        return "[video]"
    if kind == "location":
        return f"[location] {values.get('Label', '')} ({values.get('Location_X', '')}, {values.get('Location_Y', '')})"
    if kind == "link":
        return f"[link] {values.get('Title', '')} {values.get('Url', '')}".strip()
    event = message.event.lower()
    key = values.get("EventKey", "")
    if event == "subscribe":
        return f"[followed the account] {key}".strip()
    if event == "unsubscribe":
        return "[unfollowed the account]"
    if event == "click":
        return f"[menu: {key}]"
    if event == "view":
        return f"[menu link: {key}]"
    if event == "scan":
        return f"[scanned QR code {key}]"
    return f"[{kind} {message.event}]".strip()


def inbound_item(message: protocol.CallbackMessage) -> InboundItem | None:
    """The inbox item of a callback message; None for the account's own bookkeeping events."""
    if message.msg_type == "event" and message.event.lower() in SILENT_EVENTS:
        return None
    if message.msg_id:
        remote_id = f"{message.from_user}:{message.msg_id}"
    else:
        remote_id = f"{message.from_user}:{message.event.lower()}:{int(message.created_at.timestamp())}"
    return InboundItem(
        network=Network.WECHAT,
        remote_id=remote_id,
        kind=InboundKind.DIRECT_MESSAGE,
        text=_text_of(message),
        author_handle=message.from_user,
        author_id=message.from_user,
        published_at=message.created_at,
        conversation_id=message.from_user,
        raw={key: value for key, value in message.fields.items() if key != "Encrypt"},
    )


def _credentials(account: ConnectedAccount) -> dict[str, str]:
    row = AccountCredentials.objects.for_workspace(account.workspace_id).filter(account=account).first()
    if row is None:
        raise RefusedError("the account has no stored credentials")
    try:
        return dict(crypto.decrypt(row.credentials))
    except crypto.CredentialsUnreadableError as error:
        raise RefusedError("no key opens the account's credentials") from error


def _check_signature(request: HttpRequest, token: str) -> datetime.datetime:
    timestamp = request.GET.get("timestamp", "")
    nonce = request.GET.get("nonce", "")
    if not token:
        raise RefusedError("the account has no callback token")
    if (
        not timestamp
        or not nonce
        or not protocol.signature_matches(request.GET.get("signature", ""), token, timestamp, nonce)
    ):
        raise RefusedError("bad signature")
    try:
        moment = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError) as error:
        raise RefusedError("the timestamp is not a Unix time") from error
    if abs(timezone.now() - moment) > TIMESTAMP_WINDOW:
        raise RefusedError("the timestamp is outside the accepted window")
    return moment


def _read_message(request: HttpRequest, credentials: dict[str, str], *, appid: str) -> protocol.CallbackMessage:
    key = credentials.get("encoding_aes_key", "")
    encrypted = request.GET.get("encrypt_type", "").lower() == "aes"
    if key and not encrypted:
        raise RefusedError("a plain message to an account in encrypted mode")
    if encrypted and not key:
        raise RefusedError("an encrypted message to an account without an EncodingAESKey")
    if len(request.body) > MAXIMUM_BODY_BYTES:
        raise RefusedError("the message is too large")
    outer = protocol.parse_xml(request.body)
    if encrypted:
        text = outer.get("Encrypt", "")
        timestamp, nonce = request.GET.get("timestamp", ""), request.GET.get("nonce", "")
        if not text or not protocol.signature_matches(
            request.GET.get("msg_signature", ""), credentials.get("callback_token", ""), timestamp, nonce, text
        ):
            raise RefusedError("bad msg_signature")
        outer = protocol.parse_xml(protocol.decrypt(text, encoding_aes_key=key, appid=appid))
    return protocol.CallbackMessage.from_fields(outer)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, account_id: int) -> HttpResponse:
    # No workspace to scope by yet: the signature over this account's own token is what admits the caller.
    account = (
        ConnectedAccount.objects.filter(pk=account_id, network=Network.WECHAT)
        .exclude(status=AccountStatus.DISCONNECTED)
        .first()
    )
    if account is None:
        return HttpResponseNotFound("no such account", content_type="text/plain")
    try:
        credentials = _credentials(account)
        moment = _check_signature(request, credentials.get("callback_token", ""))
        if request.method == "GET":
            return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
        appid = str(account.options.get("appid") or credentials.get("appid") or account.remote_id)
        message = _read_message(request, credentials, appid=appid)
        _store(account, message, moment=moment, nonce=request.GET.get("nonce", ""), appid=appid)
    except (RefusedError, protocol.ProtocolError) as error:
        logger.warning("connectors.wechat_callback_refused account=%s reason=%s", account.pk, error)
        return HttpResponseForbidden("refused", content_type="text/plain")
    return HttpResponse("success", content_type="text/plain")


def _store(
    account: ConnectedAccount, message: protocol.CallbackMessage, *, moment: datetime.datetime, nonce: str, appid: str
) -> None:
    from pappus.inbox import facade as inbox_facade  # the inbox builds on connectors; imported when used

    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                WeChatNonce.objects.create(
                    account=account, timestamp=int(moment.timestamp()), nonce=nonce[:64], seen_at=now
                )
        except IntegrityError as error:
            raise RefusedError("a replayed timestamp and nonce") from error
        WeChatNonce.objects.filter(account=account, seen_at__lt=now - 2 * TIMESTAMP_WINDOW).delete()
        if message.opens_window:
            WeChatFollowerWindow.objects.for_workspace(account.workspace_id).update_or_create(
                account=account,
                openid=message.from_user[:128],
                defaults={"workspace_id": account.workspace_id, "appid": appid, "last_interaction_at": now},
            )
        item = inbound_item(message)
        if item is not None:
            inbox_facade.receive_inbound(account.pk, [item])
    logger.info(
        "connectors.wechat_callback_stored account=%s type=%s event=%s", account.pk, message.msg_type, message.event
    )
