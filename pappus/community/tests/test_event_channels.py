"""Events beyond e-mail: the ticket's QR code (its address, as segno encodes it) and check-in from the
scanned address; invitations by direct message through a connected account (Telegram's Bot API replayed
from its documentation), with each invitation's outcome counted; the inbox showing the member's tier."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
import segno
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.community import events, segments, services
from pappus.community.models import Activity, EventRegistration
from pappus.community.tests.factories import actor, make_identity, manager, member_of
from pappus.community.tests.test_access import bearer, signed_in
from pappus.community.tests.test_events import make_event
from pappus.connectors.telegram import mapping as telegram_mapping
from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox import facade as inbox_facade
from pappus.inbox.contracts import MentionInteraction
from pappus.inbox.models import Conversation

pytestmark = pytest.mark.django_db
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the Bot API documentation's example token
BOT_ID = 123456789
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Nordlys Coffee", "username": "nordlys_bot"}


def registered(membership, **values: Any) -> EventRegistration:
    event = make_event(membership, **values)
    return events.register(event, name="Nora Dahl", email="nora@example.com")


def segno_image(url: str, kind: str) -> bytes:
    """What segno itself makes of ``url`` with the ticket's settings (error level M, its scale, border 4)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind=kind, scale=events.QR_SCALE[kind], border=4)
    return buffer.getvalue()


def test_the_ticket_shows_a_qr_code_holding_its_address():
    registration = registered(manager())
    client = Client()
    ticket_path = reverse("community:event_ticket", args=[registration.token])
    page = client.get(ticket_path).content.decode()
    svg_path = reverse("community:event_ticket_qr", args=[registration.token, "svg"])
    assert f'src="{svg_path}"' in page

    address = f"http://testserver{ticket_path}"
    svg = client.get(svg_path)
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content == segno_image(address, "svg")
    assert svg.content != segno_image(f"http://testserver{ticket_path}x", "svg")
    png = client.get(reverse("community:event_ticket_qr", args=[registration.token, "png"]))
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.content == segno_image(address, "png")

    assert client.get(reverse("community:event_ticket_qr", args=[registration.token, "gif"])).status_code == 404
    assert client.get(reverse("community:event_ticket_qr", args=["x" * 43, "svg"])).status_code == 404
    events.cancel(registration)
    assert client.get(svg_path).status_code == 404


def test_the_qr_code_holds_the_public_address_when_one_is_set(settings):
    settings.PUBLIC_URL = "https://pappus.example.com"
    registration = registered(manager())
    svg = Client().get(reverse("community:event_ticket_qr", args=[registration.token, "svg"]))
    address = f"https://pappus.example.com/community/ticket/{registration.token}/"
    assert svg.content == segno_image(address, "svg")


def test_scanning_the_qr_code_checks_the_person_in():
    door = manager()
    registration = registered(door)
    event = registration.event
    ticket_path = reverse("community:event_ticket", args=[registration.token])

    # A stranger (or the person) opening the scanned address sees the ticket, never a check-in button.
    stranger = Client()
    assert 'data-testid="ticket-check-in"' not in stranger.get(ticket_path).content.decode()
    stranger.post(ticket_path, {"check_in": "1"})
    agency = signed_in(make_member(door.workspace, role=Role.AGENCY))
    assert 'data-testid="ticket-check-in"' not in agency.get(ticket_path).content.decode()
    agency.post(ticket_path, {"check_in": "1"})
    registration.refresh_from_db()
    assert registration.status == "registered"

    # The community manager at the door scans it with a phone: the ticket page offers the check-in.
    staff = signed_in(door)
    page = staff.get(ticket_path).content.decode()
    assert 'data-testid="ticket-check-in"' in page
    response = staff.post(ticket_path, {"check_in": "1"}, follow=True)
    assert "Nora Dahl is checked in." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "attended"
    assert Activity.objects.filter(member_id=registration.member_id, kind="event").count() == 1
    assert 'data-testid="ticket-check-in"' not in staff.get(ticket_path).content.decode()

    # A scanner that types what it reads into the event page's check-in form.
    second = events.register(event, name="Per Berg", email="per@example.com")
    scanned = f"http://testserver{reverse('community:event_ticket', args=[second.token])}"
    answer = staff.post(reverse("community:event", args=[event.pk]), {"form": "check_in", "code": scanned})
    assert answer.status_code == 302
    second.refresh_from_db()
    assert second.status == "attended"
    other = registered(door, title="Another event")
    wrong = staff.post(
        reverse("community:event", args=[event.pk]),
        {"form": "check_in", "code": f"http://testserver/community/ticket/{other.token}/"},
    )
    assert "No ticket with this code for this event." in wrong.content.decode()


# --- invitations by direct message ------------------------------------------------------------------


def telegram_message(chat_user: dict[str, Any], message_id: int, text: str) -> dict[str, Any]:
    """A private message to the bot, as https://core.telegram.org/bots/api#message documents it."""
    chat = {"id": chat_user["id"], "type": "private", "first_name": chat_user["first_name"]}
    if "username" in chat_user:
        chat["username"] = chat_user["username"]
    return {"message_id": message_id, "from": chat_user, "chat": chat, "date": 1_793_700_000, "text": text}


def sent_message(chat_id: int, message_id: int, text: str) -> Answer:
    return Answer(
        200,
        {
            "ok": True,
            "result": {
                "message_id": message_id,
                "from": BOT,
                "chat": {"id": chat_id, "type": "private", "first_name": "x"},
                "date": 1_793_700_100,
                "text": text,
            },
        },
    )


@pytest.fixture
def telegram_replay():
    server = ReplayServer()
    yield server
    server.close()


def test_a_segment_is_invited_by_direct_message_where_people_wrote_to_us_else_by_email(
    telegram_replay, django_capture_on_commit_callbacks
):
    membership = manager()
    workspace = membership.workspace
    account = make_account(
        workspace,
        base_url=telegram_replay.url,
        network="telegram",
        handle="@nordlys_bot",
        remote_id=str(BOT_ID),
        credentials={"bot_token": TOKEN},
    )
    customers = [
        {"id": 555000111, "is_bot": False, "first_name": "Kari", "username": "kari_n"},
        {"id": 555000222, "is_bot": False, "first_name": "Ola", "username": "ola_n"},
        {"id": 555000333, "is_bot": False, "first_name": "Per", "username": "per_b"},
    ]
    items = [
        telegram_mapping.inbound_message(
            telegram_message(person, 40 + number, "Hei! Når åpner dere?"), bot_id=BOT_ID, bot_username="nordlys_bot"
        )
        for number, person in enumerate(customers)
    ]
    inbox_facade.receive_inbound(account.pk, [item for item in items if item is not None])
    assert Conversation.objects.filter(workspace=workspace, kind="direct_message").count() == 3
    services.collect(workspace.pk)

    people = [member_of(make_identity(workspace, "telegram", handle=f"@{c['username']}")) for c in customers]
    people.append(member_of(make_identity(workspace, "instagram", handle="ann")))  # no thread: e-mail
    people.append(member_of(make_identity(workspace, "instagram", handle="bo")))  # no thread, no e-mail
    emails = ["", "ola@example.com", "", "ann@example.com", ""]
    for person, email in zip(people, emails, strict=True):
        services.member_update(
            actor=actor(membership),
            membership=membership,
            member=person,
            email=email,
            tags=["vip"],
            consent_marketing=True,
        )
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "vip"}
    )
    event = make_event(membership, title="Kaffesmaking", language="nb")

    path = f"/bot{TOKEN}/sendMessage"
    telegram_replay.add("POST", path, sent_message(555000111, 90, "invitation"))
    telegram_replay.add(
        "POST",
        path,
        Answer(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
    )
    telegram_replay.add(
        "POST",
        path,
        Answer(
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 35",
                "parameters": {"retry_after": 35},
            },
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = events.invite_segment(actor=actor(membership), membership=membership, event=event, segment=segment)
    assert (result.invited, result.by_direct_message, result.by_email, result.skipped) == (4, 3, 1, 1)

    sends = telegram_replay.requests_to("POST", path)
    assert len(sends) == 3
    first = json.loads(sends[0].body)
    kari = EventRegistration.objects.get(event=event, member=people[0])
    assert first["chat_id"] == "555000111"
    assert first["reply_parameters"] == {"message_id": 40}  # an answer in Kari's own thread with the bot
    assert "Invitasjon: Kaffesmaking" in first["text"] or "Kaffesmaking" in first["text"]
    assert f"?invitation={kari.token}" in first["text"]
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]  # Ola has a thread: no e-mail

    outcome = {
        row.member_id: (row.invite_channel, row.invite_status, row.invite_error)
        for row in EventRegistration.objects.filter(event=event)
    }
    assert outcome[people[0].pk] == ("telegram", "sent", "")
    assert outcome[people[1].pk] == ("telegram", "failed", "Forbidden: bot was blocked by the user")
    assert outcome[people[2].pk][:2] == ("telegram", "pending")  # rate limited: waits for the next run
    assert "retry after 35" in outcome[people[2].pk][2]
    assert outcome[people[3].pk] == ("email", "sent", "")
    assert people[4].pk not in outcome
    counts = [(row.channel, row.sent, row.failed, row.waiting) for row in events.invitation_counts(event)]
    assert counts == [("email", 1, 0, 0), ("telegram", 1, 1, 1)]

    # The hourly job sends what waits, and nothing twice.
    telegram_replay.add("POST", path, sent_message(555000333, 91, "invitation"))
    assert events.invitations_send_due(workspace.pk) == 1
    assert len(telegram_replay.requests_to("POST", path)) == 4
    assert json.loads(telegram_replay.requests_to("POST", path)[3].body)["chat_id"] == "555000333"
    assert events.invitations_send_due(workspace.pk) == 0
    assert len(mail.outbox) == 1
    counts = [(row.channel, row.sent, row.failed, row.waiting) for row in events.invitation_counts(event)]
    assert counts == [("email", 1, 0, 0), ("telegram", 2, 1, 0)]

    page = signed_in(membership).get(reverse("community:event", args=[event.pk])).content.decode()
    assert 'data-testid="invitation-counts"' in page
    assert "Forbidden: bot was blocked by the user" in page
    assert events.kpis(event).invited == 4


def test_invitation_channels_can_be_chosen_and_are_checked(telegram_replay, django_capture_on_commit_callbacks):
    membership = manager()
    workspace = membership.workspace
    account = make_account(
        workspace,
        base_url=telegram_replay.url,
        network="telegram",
        handle="@nordlys_bot",
        credentials={"bot_token": TOKEN},
    )
    kari = {"id": 555000111, "is_bot": False, "first_name": "Kari", "username": "kari_n"}
    item = telegram_mapping.inbound_message(telegram_message(kari, 7, "Hei"), bot_id=BOT_ID, bot_username="nb")
    assert item is not None
    inbox_facade.receive_inbound(account.pk, [item])
    services.collect(workspace.pk)
    person = member_of(make_identity(workspace, "telegram", handle="kari_n"))  # the same person, without the @
    services.member_update(
        actor=actor(membership),
        membership=membership,
        member=person,
        email="kari@example.com",
        tags=["vip"],
        consent_marketing=True,
    )
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "vip"}
    )
    by_email = make_event(membership, title="By e-mail")
    with django_capture_on_commit_callbacks(execute=True):
        result = events.invite_segment(
            actor=actor(membership), membership=membership, event=by_email, segment=segment, channels="email"
        )
    assert (result.by_email, result.by_direct_message) == (1, 0)
    assert not telegram_replay.requests_to("POST", f"/bot{TOKEN}/sendMessage")

    telegram_replay.add("POST", f"/bot{TOKEN}/sendMessage", sent_message(555000111, 8, "x"))
    by_message = make_event(membership, title="By message")
    client = signed_in(membership)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("community:event", args=[by_message.pk]),
            {"form": "invite", "segment": segment.pk, "channels": "direct_message"},
        )
    assert response.status_code == 302
    row = EventRegistration.objects.get(event=by_message)
    assert (row.invite_channel, row.invite_status) == ("telegram", "sent")

    with pytest.raises(Exception, match="channels"):
        events.invite_segment(
            actor=actor(membership),
            membership=membership,
            event=by_message,
            segment=segment,
            channels="pigeon",  # type: ignore[arg-type]  # what a caller may send
        )
    api = Client().post(
        f"/api/v1/community/events/{by_message.pk}/invite",
        {"segment_id": segment.pk, "channels": "pigeon"},
        content_type="application/json",
        headers=bearer(membership),
    )
    assert api.status_code == 422
    assert "channels" in api.content.decode()


# --- the inbox shows the member's customer tier ------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_tier"),
    [(Role.COMMUNITY_MANAGER, True), (Role.ANALYST, True), (Role.EXECUTIVE, True), (Role.AGENCY, False)],
)
def test_the_inbox_conversation_shows_the_members_customer_tier(role, sees_tier):
    membership = manager()
    workspace = membership.workspace
    inbox_facade.receive_mentions(
        workspace.pk,
        [
            MentionInteraction(
                network="bluesky",
                external_id="at://did:plc:vera/app.bsky.feed.post/1",
                text="@nordlys when do you open?",
                author_handle="@vera.bsky.social",
                published_at=timezone.now(),
            )
        ],
    )
    conversation = Conversation.objects.get(workspace=workspace)
    services.collect(workspace.pk)
    vera = member_of(make_identity(workspace, "bluesky", handle="@vera.bsky.social"))
    services.member_update(actor=actor(membership), membership=membership, member=vera, tags=["vip"])
    segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "vip"}, tier="gold", priority=10
    )
    viewer = signed_in(make_member(workspace, role=role))
    response = viewer.get(reverse("inbox:conversation", args=[conversation.pk]))
    if not sees_tier:
        assert response.status_code == 403  # the agency never sees the inbox, nor the tier
        assert "gold" not in response.content.decode()
        return
    page = response.content.decode()
    assert response.status_code == 200
    assert '<span class="tag" data-testid="customer-tier"' in page
    assert ">gold</span>" in page

    services.member_update(actor=actor(membership), membership=membership, member=vera, tags=[])
    page = viewer.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert 'data-testid="customer-tier"' not in page  # no longer in the segment: no tier


def test_an_invitation_another_run_is_sending_is_not_sent_twice():
    membership = manager()
    person = member_of(make_identity(membership.workspace, "instagram", handle="ann"))
    services.member_update(
        actor=actor(membership),
        membership=membership,
        member=person,
        email="ann@example.com",
        tags=["vip"],
        consent_marketing=True,
    )
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "vip"}
    )
    event = make_event(membership)
    events.invite_segment(actor=actor(membership), membership=membership, event=event, segment=segment)  # no commit
    row = EventRegistration.objects.get(event=event)
    assert row.invite_status == "pending"

    # Another run took it a minute ago (the job while the hourly pass starts): this run leaves it alone.
    EventRegistration.objects.filter(pk=row.pk).update(
        invite_status="sending", invite_sent_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert events.invitations_send(event.pk) == events.SendResult(sent=0, failed=0, waiting=0)
    assert not mail.outbox
    assert [(c.channel, c.waiting) for c in events.invitation_counts(event)] == [("email", 1)]

    # A run that died while sending it: after the hour the invitation is sent once.
    EventRegistration.objects.filter(pk=row.pk).update(invite_sent_at=timezone.now() - datetime.timedelta(hours=2))
    assert events.invitations_send_due(membership.workspace.pk) == 1
    assert events.invitations_send_due(membership.workspace.pk) == 0
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]
    row.refresh_from_db()
    assert row.invite_status == "sent"
    assert row.invite_sent_at is not None
