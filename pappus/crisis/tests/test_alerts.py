"""A rule over listening's hourly rollups raises an alert once, and the alert reaches people:
in-app, by e-mail through a real SMTP server, and by a signed webhook to a real HTTP server."""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import io
import json
import math
import random
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.core.exceptions import PermissionDenied
from PIL import Image

from pappus.core.audit import Actor
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.crisis import notifications, series, services
from pappus.crisis.detector import score_series
from pappus.crisis.models import Alert, AlertDelivery, AlertRule, DeliveryStatus
from pappus.crisis.synthetic import generate
from pappus.crisis.tests.conftest import add_rollups

ACTOR = Actor.system("test")
START = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)  # a Monday, as the synthetic series


def _quiet_then_spike(workspace_id: int, *, spike: int, topic_id: int = 0, sentiment: str = "") -> datetime.datetime:
    """Four weeks of hourly mentions (about 30 an hour, seasonal), then ``spike`` in the last hour;
    returns a moment just after that hour closed."""
    scenario = generate("rule", seed=5, level=30.0, weeks=4)
    counts = {hour: int(value) for hour, value in zip(scenario.timestamps, scenario.values, strict=True)}
    last = scenario.timestamps[-1]
    counts[last] = spike
    add_rollups(workspace_id, counts, topic_id=topic_id, sentiment=sentiment)
    return last + datetime.timedelta(hours=1, minutes=5)


@pytest.fixture
def owner(db: None) -> Any:
    return make_member(make_workspace(), Role.OWNER)


def test_a_spike_raises_one_alert_and_a_repeated_run_raises_none(owner: Any) -> None:
    rule = services.rule_create(actor=ACTOR, membership=owner, name="Brand volume")
    now = _quiet_then_spike(owner.workspace_id, spike=180)
    raised = services.rule_evaluate(rule.pk, now=now)
    assert len(raised) == 1
    alert = raised[0]
    assert alert.window_start == now.replace(minute=0) - datetime.timedelta(hours=1)
    assert alert.value == 180.0
    assert 0.5 <= alert.score <= 1.0
    assert alert.expected is not None
    assert alert.expected < 60
    assert alert.series[-1]["value"] == 180.0
    assert len(alert.series) == 24 * 7 + 1
    assert alert.mentions_filter == {"date_from": "2026-02-01", "date_to": "2026-02-01"}
    # Run again (a late or repeated job): nothing new.
    assert services.rule_evaluate(rule.pk, now=now) == []
    assert services.rule_evaluate(rule.pk, now=now + datetime.timedelta(minutes=20)) == []
    assert Alert.objects.for_workspace(owner.workspace_id).count() == 1
    assert AuditEvent.objects.filter(action="crisis.alert.raise", object_id=str(alert.pk)).count() == 1


def test_a_quiet_series_raises_nothing(owner: Any) -> None:
    rule = services.rule_create(actor=ACTOR, membership=owner, name="Quiet")
    scenario = generate("rule", seed=5, level=30.0, weeks=4)
    now = _quiet_then_spike(owner.workspace_id, spike=int(scenario.values[-1]))
    assert services.rule_evaluate(rule.pk, now=now) == []


def _sparse_counts(seed: int, days: int) -> dict[datetime.datetime, int]:
    """A topic that is mostly silent: Poisson counts of 0.3 to 1.5 mentions an hour, busier by day."""
    generator = random.Random(seed)
    counts = {}
    for index in range(24 * days):
        hour = START + datetime.timedelta(hours=index)
        rate = 0.3 + 1.2 * max(0.0, math.sin((hour.hour - 6) / 24 * 2 * math.pi))
        count, product = 0, generator.random()
        while product >= math.exp(-rate):
            count += 1
            product *= generator.random()
        counts[hour] = count
    return counts


def test_a_silent_topic_alerts_on_a_real_burst_but_not_on_one_or_two_mentions(owner: Any) -> None:
    """On a sparse series the detector finds a few single mentions surprising; a volume rule stays
    quiet below ``MIN_VOLUME_ALERT_MENTIONS`` and still alerts on a real burst."""
    rule = services.rule_create(actor=ACTOR, membership=owner, name="Quiet product", sensitivity=0.65)
    counts = _sparse_counts(seed=7, days=30)
    add_rollups(owner.workspace_id, counts)
    last = max(counts)
    # The detector alone flags hours of this series that have fewer than five mentions.
    hours = sorted(counts)
    points = score_series(hours, [counts[hour] for hour in hours], kind="count", sensitivity=0.65, interval=series.HOUR)
    flagged = [hour for hour, point in zip(hours, points, strict=True) if point.alert]
    assert any(counts[hour] < services.MIN_VOLUME_ALERT_MENTIONS for hour in flagged)
    # Evaluated as the job does (at least once a day), the rule raises nothing for them.
    for day in range(1, 31):
        services.rule_evaluate(rule.pk, now=START + datetime.timedelta(days=day, minutes=5))
    assert not Alert.objects.for_workspace(owner.workspace_id).exists()

    burst = last + datetime.timedelta(hours=1)
    add_rollups(owner.workspace_id, {burst: services.MIN_VOLUME_ALERT_MENTIONS + 15})
    raised = services.rule_evaluate(rule.pk, now=burst + datetime.timedelta(hours=1, minutes=5))
    assert [(alert.window_start, alert.value) for alert in raised] == [(burst, 20.0)]


def test_negative_share_rule_links_to_the_negative_mentions_of_its_topic(owner: Any) -> None:
    rule = services.rule_create(actor=ACTOR, membership=owner, name="Complaints", topic_id=42, metric="negative_share")
    # All mentions of topic 42: ~30 an hour; negative ones: 10 % of them, then 60 % in the last hour.
    scenario = generate("rule", seed=6, level=30.0, weeks=4)
    totals = {hour: int(value) for hour, value in zip(scenario.timestamps, scenario.values, strict=True)}
    last = scenario.timestamps[-1]
    totals[last] = 40
    negatives = {hour: count // 10 for hour, count in totals.items()}
    negatives[last] = 24
    add_rollups(
        owner.workspace_id, {hour: totals[hour] - negatives[hour] for hour in totals}, topic_id=42, sentiment="neutral"
    )
    add_rollups(owner.workspace_id, negatives, topic_id=42, sentiment="negative")
    raised = services.rule_evaluate(rule.pk, now=last + datetime.timedelta(hours=1, minutes=1))
    assert [alert.value for alert in raised] == [0.6]
    assert raised[0].mentions_filter == {
        "date_from": "2026-02-01",
        "date_to": "2026-02-01",
        "topic": [42],
        "sentiment": ["negative"],
    }
    assert notifications.mentions_url(raised[0]).endswith(
        "/listening/mentions/?date_from=2026-02-01&date_to=2026-02-01&topic=42&sentiment=negative"
    )


def test_alerts_are_scoped_to_their_workspace(owner: Any) -> None:
    other = make_member(make_workspace(), Role.OWNER)
    rule = services.rule_create(actor=ACTOR, membership=owner, name="Brand volume")
    now = _quiet_then_spike(other.workspace_id, spike=400)  # the spike is in the other workspace
    assert services.rule_evaluate(rule.pk, now=now) == []
    with pytest.raises(AlertRule.DoesNotExist):
        services.rule_update(actor=ACTOR, membership=other, rule=rule, name="Theirs now")


@pytest.mark.parametrize("role", [Role.AGENCY, Role.DESIGNER, Role.ANALYST, Role.EXECUTIVE])
def test_only_managers_may_create_rules(db: None, role: str) -> None:
    member = make_member(make_workspace(), role)
    with pytest.raises(PermissionDenied):
        services.rule_create(actor=ACTOR, membership=member, name="Nope")


def _mails_to(directory: Path, address: str, since: float) -> list[Any]:
    found = []
    for path in sorted(directory.glob("*.eml")):
        if path.stat().st_mtime < since:
            continue
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found


def test_alert_reaches_smtp_and_a_signed_webhook(
    owner: Any, smtp_mailer: Path, webhook_sink: dict[str, str], settings: Any
) -> None:
    settings.BASE_URL = "https://pappus.example"
    started = time.time() - 1
    address = f"pr-{uuid.uuid4().hex[:8]}@example.com"
    path = f"/hooks/crisis-{uuid.uuid4().hex[:8]}"
    rule = services.rule_create(
        actor=ACTOR,
        membership=owner,
        name="Brand volume",
        email_recipients=f"{address}\nlead@example.com",
        webhook_url=webhook_sink["WEBHOOK_SINK_URL"].rstrip("/") + path,
    )
    assert len(rule.webhook_secret) >= 40
    alert = services.rule_evaluate(rule.pk, now=_quiet_then_spike(owner.workspace_id, spike=180))[0]
    deliveries = notifications.alert_notify(alert.pk)
    assert [(item.channel, item.status) for item in deliveries] == [
        ("email", DeliveryStatus.SENT),
        ("email", DeliveryStatus.SENT),
        ("webhook", DeliveryStatus.SENT),
    ]
    # A retried job sends nothing twice.
    notifications.alert_notify(alert.pk)
    assert AlertDelivery.objects.filter(alert=alert).count() == 3

    deadline = time.time() + 10
    mails = _mails_to(smtp_mailer, address, started)
    while not mails and time.time() < deadline:
        time.sleep(0.2)
        mails = _mails_to(smtp_mailer, address, started)
    assert len(mails) == 1
    mail = mails[0]
    assert mail["Subject"] == "[Pappus] Crisis alert: Brand volume"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"https://pappus.example/crisis/alerts/{alert.pk}/" in body
    assert "https://pappus.example/listening/mentions/?date_from=2026-02-01&date_to=2026-02-01" in body
    assert "180 mentions in the hour" in body
    assert "alert-chart.png" in body
    # The chart rides along as a PNG drawn by vl-convert: a real image of the fixed e-mail width.
    attachments = [part for part in mail.iter_attachments() if part.get_content_type() == "image/png"]
    assert [part.get_filename() for part in attachments] == ["alert-chart.png"]
    png = attachments[0].get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=100_000) or []
    assert width >= 640
    assert 240 < height < width
    assert any(colour == (0x2F, 0x6F, 0x4F) for _count, colour in colours)  # the series line is drawn

    records = httpx.get(webhook_sink["WEBHOOK_SINK_REQUESTS_URL"] + "?path=" + quote(path), timeout=5).json()
    assert len(records) == 1
    record = records[0]
    headers = {name.lower(): value for name, value in record["headers"]}
    raw = base64.b64decode(record["body_b64"])
    assert record["method"] == "POST"
    assert headers["content-type"] == "application/json"
    assert notifications.verify(rule.webhook_secret, headers["x-pappus-timestamp"], raw, headers["x-pappus-signature"])
    assert not notifications.verify("another secret", headers["x-pappus-timestamp"], raw, headers["x-pappus-signature"])
    payload = json.loads(raw)
    assert payload["event"] == "crisis.alert"
    assert payload["alert"]["id"] == alert.pk
    assert payload["alert"]["value"] == 180.0
    assert payload["alert"]["url"] == f"https://pappus.example/crisis/alerts/{alert.pk}/"


def test_a_failing_webhook_is_recorded_and_retried(owner: Any, webhook_sink: dict[str, str]) -> None:
    rule = services.rule_create(
        actor=ACTOR,
        membership=owner,
        name="Brand volume",
        webhook_url=webhook_sink["WEBHOOK_SINK_URL"].rstrip("/") + "/status/503/crisis",
    )
    alert = services.rule_evaluate(rule.pk, now=_quiet_then_spike(owner.workspace_id, spike=180))[0]
    [delivery] = notifications.alert_notify(alert.pk)
    assert delivery.status == DeliveryStatus.FAILED
    assert "503" in delivery.error
    [delivery] = notifications.alert_notify(alert.pk)
    assert delivery.attempts == 2


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    assert notifications.sign("s3cret", "1767225600", b'{"a":1}') == (
        "sha256=" + __import__("hmac").new(b"s3cret", b'1767225600.{"a":1}', "sha256").hexdigest()
    )
