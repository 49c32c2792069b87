"""Telling people about an alert: in-app (the alert itself, unacknowledged), e-mail through Django's
mailer, and a signed webhook for chat tools.

Webhook signing (docs/crisis.md): the request is a JSON POST with

- ``X-Pappus-Timestamp``: Unix seconds when it was signed;
- ``X-Pappus-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the rule's signing secret, of
  the bytes ``<timestamp>.<body>`` (the timestamp as sent, a full stop, the raw body).

A receiver recomputes it over the raw body, compares in constant time, and refuses timestamps
older than five minutes (replays). Each delivery is recorded once per alert, channel and target:
a retried job does not send a delivery that already went out.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.crisis import charts
from pappus.crisis.models import Alert, AlertDelivery, Channel, DeliveryStatus, Metric
from pappus.crisis.series import mentions_query_string

logger = logging.getLogger("pappus.crisis")

SIGNATURE_HEADER = "X-Pappus-Signature"
TIMESTAMP_HEADER = "X-Pappus-Timestamp"
WEBHOOK_TIMEOUT = 10.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def alert_url(alert: Alert) -> str:
    return settings.BASE_URL + reverse("crisis:alert", kwargs={"alert_id": alert.pk})


def mentions_url(alert: Alert) -> str:
    return settings.BASE_URL + reverse("listening:mentions") + "?" + mentions_query_string(alert.mentions_filter)


def summary_line(alert: Alert) -> str:
    rule = alert.rule
    if rule.metric == Metric.NEGATIVE_SHARE:
        what = _("negative share %(value).0f%% (expected %(expected).0f%%)") % {
            "value": alert.value * 100,
            "expected": (alert.expected or 0) * 100,
        }
    else:
        what = _("%(value).0f mentions in the hour (expected %(expected).0f)") % {
            "value": alert.value,
            "expected": alert.expected or 0,
        }
    return _("Crisis alert “%(rule)s” at %(time)s UTC: %(what)s, score %(score).2f.") % {
        "rule": rule.name,
        "time": alert.window_start.strftime("%Y-%m-%d %H:%M"),
        "what": what,
        "score": alert.score,
    }


def payload(alert: Alert) -> dict[str, Any]:
    rule = alert.rule
    return {
        "event": "crisis.alert",
        "text": summary_line(alert),
        "alert": {
            "id": alert.pk,
            "rule": {"id": rule.pk, "name": rule.name, "metric": rule.metric, "topic_id": rule.topic_id},
            "window_start": alert.window_start.isoformat(),
            "window_end": alert.window_end.isoformat(),
            "score": alert.score,
            "value": alert.value,
            "expected": alert.expected,
            "url": alert_url(alert),
            "mentions_url": mentions_url(alert),
        },
    }


CHART_FILENAME = "alert-chart.png"


def alert_chart_png(alert: Alert) -> bytes | None:
    """The alert's chart as PNG, in the workspace's time zone; None when the alert kept no series
    or the chart cannot be drawn (the e-mail still goes out, without it)."""
    if not alert.series:
        return None
    try:
        return charts.alert_png(
            alert.series,
            alert_hour=alert.window_start.isoformat(),
            negative_share=alert.rule.metric == Metric.NEGATIVE_SHARE,
            time_zone=alert.workspace.time_zone,
        )
    except (ValueError, RuntimeError) as error:  # vl-convert reports failures as ValueError
        logger.warning("crisis.chart_failed alert=%s error=%s", alert.pk, error)
        return None


def _send_email(alert: Alert, address: str, chart: bytes | None) -> None:
    body = "\n\n".join(
        [
            summary_line(alert),
            _("Alert: %(url)s") % {"url": alert_url(alert)},
            _("The mentions behind it: %(url)s") % {"url": mentions_url(alert)},
        ]
        + (
            [_("The chart of the week before the alert is attached (%(file)s).") % {"file": CHART_FILENAME}]
            if chart
            else []
        )
    )
    message = EmailMessage(
        subject=_("[Pappus] Crisis alert: %(rule)s") % {"rule": alert.rule.name},
        body=body,
        to=[address],
    )
    if chart:
        message.attach(CHART_FILENAME, chart, "image/png")
    message.send(fail_silently=False)


def _send_webhook(alert: Alert, url: str) -> None:
    body = json.dumps(payload(alert), ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Pappus-Crisis/1",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(alert.rule.webhook_secret, timestamp, body),
    }
    response = httpx.post(url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT, follow_redirects=False)
    response.raise_for_status()


def alert_notify(alert_id: int) -> list[AlertDelivery]:
    """Send the alert's e-mails and webhook (each once); return the deliveries."""
    alert = Alert.objects.select_related("rule", "workspace").get(pk=alert_id)
    rule = alert.rule
    targets = [(Channel.EMAIL, address) for address in rule.recipients]
    if rule.webhook_url:
        targets.append((Channel.WEBHOOK, rule.webhook_url))
    deliveries = []
    chart: list[bytes | None] = []  # drawn once, on the first e-mail actually sent
    with translation.override(alert.workspace.default_language):
        for channel, target in targets:
            delivery, _created = AlertDelivery.objects.get_or_create(
                alert=alert, channel=channel, target=target, defaults={"workspace_id": alert.workspace_id}
            )
            deliveries.append(delivery)
            if delivery.status == DeliveryStatus.SENT:
                continue
            delivery.attempts += 1
            try:
                if channel == Channel.EMAIL:
                    if not chart:
                        chart.append(alert_chart_png(alert))
                    _send_email(alert, target, chart[0])
                else:
                    _send_webhook(alert, target)
            except (OSError, httpx.HTTPError) as error:
                delivery.status, delivery.error = DeliveryStatus.FAILED, str(error)[:1000]
                logger.warning("crisis.delivery_failed alert=%s channel=%s error=%s", alert.pk, channel, error)
            else:
                delivery.status, delivery.error, delivery.sent_at = DeliveryStatus.SENT, "", timezone.now()
            with transaction.atomic():
                delivery.save(update_fields=["status", "error", "sent_at", "attempts"])
    return deliveries
