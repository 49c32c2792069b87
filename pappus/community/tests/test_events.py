"""Events: the public registration page (no login, in the event's language, spam-protected), invitations
to a segment by e-mail, reminders, check-in by ticket code (an event activity for the ladder), follow-up,
the event's KPIs, the API, and no registration data for roles without community access."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.community import events, segments, services
from pappus.community.models import Activity, Event, EventRegistration, Member
from pappus.community.tests.factories import actor, add_activity, make_identity, manager, member_of
from pappus.community.tests.test_access import bearer, signed_in
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def make_event(membership, **values) -> Event:
    start = timezone.now() + 48 * HOUR
    values = {"title": "Coffee tasting", "starts_at": start, "ends_at": start + 2 * HOUR, **values}
    return events.event_create(actor=actor(membership), membership=membership, **values)


def sign_up(client: Client, event: Event, **fields: str):
    page = client.get(reverse("community:event_public", args=[event.slug]))
    stamp = re.search(r'name="stamp" value="([^"]+)"', page.content.decode())
    assert stamp is not None
    data = {"name": "Nora Dahl", "email": "nora@example.com", "stamp": stamp.group(1), **fields}
    return client.post(reverse("community:event_public", args=[event.slug]), data)


def test_a_person_signs_up_without_login_in_the_events_language_and_gets_a_ticket(
    monkeypatch, django_capture_on_commit_callbacks
):
    membership = manager()
    event = make_event(membership, language="nb", location="Oslo")
    client = Client()
    page = client.get(reverse("community:event_public", args=[event.slug])).content.decode()
    assert "Kaffesmaking" not in page  # the title is the event's own
    assert 'lang="nb"' in page or "E-post" in page  # the form speaks Norwegian

    too_fast = sign_up(client, event)
    assert too_fast.status_code == 400
    assert not EventRegistration.objects.exists()

    monkeypatch.setattr(events, "FORM_MIN_SECONDS", 0)
    trapped = sign_up(client, event, website="http://spam.example")
    assert trapped.status_code == 400
    assert not EventRegistration.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = sign_up(client, event, consent="on")
    registration = EventRegistration.objects.get(event=event)
    assert response.status_code == 302
    assert response["Location"] == reverse("community:event_ticket", args=[registration.token])
    member = Member.objects.get(pk=registration.member_id)
    assert (member.display_name, member.email, member.consent_marketing) == ("Nora Dahl", "nora@example.com", True)
    assert registration.is_new_member
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nora@example.com"]
    assert registration.code in mail.outbox[0].body
    assert "Coffee tasting" in mail.outbox[0].subject
    ticket = client.get(response["Location"]).content.decode()
    assert registration.code in ticket

    again = sign_up(client, event)
    assert again.status_code == 302
    assert EventRegistration.objects.filter(event=event).count() == 1

    client.post(response["Location"], {"cancel": "1"})
    registration.refresh_from_db()
    assert registration.status == "cancelled"


def test_a_full_or_closed_event_refuses_sign_ups_and_a_known_email_finds_the_member(monkeypatch):
    monkeypatch.setattr(events, "FORM_MIN_SECONDS", 0)
    membership = manager()
    known = member_of(make_identity(membership.workspace, "instagram", handle="nora_d", email="nora@example.com"))
    event = make_event(membership, capacity=1)
    assert sign_up(Client(), event).status_code == 302
    assert EventRegistration.objects.get(event=event).member_id == known.pk
    assert not EventRegistration.objects.get(event=event).is_new_member
    full = sign_up(Client(), event, email="other@example.com", name="Other")
    assert full.status_code == 400
    assert "The event is full." in full.content.decode()
    events.event_update(actor=actor(membership), membership=membership, event=event, registration_open=False)
    closed = sign_up(Client(), event, email="third@example.com", name="Third")
    assert "Registration for this event is closed." in closed.content.decode()


def test_invitations_reminders_check_in_and_follow_up_with_kpis(django_capture_on_commit_callbacks):
    membership = manager()
    workspace = membership.workspace
    people = []
    for handle, email, consent in (("ann", "ann@example.com", True), ("bo", "", True), ("cy", "cy@example.com", False)):
        member = member_of(make_identity(workspace, "instagram", handle=handle))
        people.append(
            services.member_update(
                actor=actor(membership),
                membership=membership,
                member=member,
                email=email,
                tags=["vip"],
                consent_marketing=consent,
            )
        )
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "vip"}
    )
    event = make_event(membership, follow_up_message="Thanks for coming!", reminder_hours=72)

    with django_capture_on_commit_callbacks(execute=True):
        result = events.invite_segment(actor=actor(membership), membership=membership, event=event, segment=segment)
    assert (result.invited, result.already, result.skipped) == (1, 0, 2)
    assert [message.to for message in mail.outbox] == [["ann@example.com"]]
    invitation = EventRegistration.objects.get(event=event)
    assert invitation.token in mail.outbox[0].body
    again = events.invite_segment(actor=actor(membership), membership=membership, event=event, segment=segment)
    assert (again.invited, again.already) == (0, 1)

    events.register(event, name="Ann", email="ann@example.com", invitation=invitation.token)
    invitation.refresh_from_db()
    assert invitation.status == "registered"
    mail.outbox.clear()
    assert events.reminders_send(workspace.pk) == 1
    assert events.reminders_send(workspace.pk) == 0
    assert "Reminder" in mail.outbox[0].subject

    checked = events.check_in(actor=actor(membership), membership=membership, event=event, code=invitation.code.lower())
    assert checked.status == "attended"
    assert Activity.objects.filter(member=people[0], kind="event").count() == 1
    events.check_in(actor=actor(membership), membership=membership, event=event, code=invitation.code)
    assert Activity.objects.filter(member=people[0], kind="event").count() == 1
    with pytest.raises(Exception, match="No ticket with this code"):
        events.check_in(actor=actor(membership), membership=membership, event=event, code="NOPE")

    after = event.ends_at + 24 * HOUR
    add_activity(make_identity(workspace, "instagram", handle="ann"), "ugc", when=after)
    mail.outbox.clear()
    assert events.follow_ups_send(workspace.pk, now=event.ends_at - HOUR) == 0
    assert events.follow_ups_send(workspace.pk, now=after) == 1
    assert events.follow_ups_send(workspace.pk, now=after) == 0
    assert mail.outbox[0].body == "Thanks for coming!"

    kpis = events.kpis(event)
    assert (kpis.invited, kpis.registered, kpis.attended, kpis.new_members) == (1, 1, 1, 0)
    assert (kpis.attendance_rate, kpis.active_after, kpis.activities_after) == (1.0, 1, 1)


def test_the_event_pages_and_api_with_bounded_numbers():
    membership = manager()
    client = signed_in(membership)
    start = timezone.now() + 48 * HOUR
    created = client.post(
        reverse("community:events"),
        {
            "title": "Launch",
            "kind": "online",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + HOUR).strftime("%Y-%m-%dT%H:%M"),
            "online_url": "https://meet.example.org/launch",
            "language": "en",
            "reminder_hours": "24",
            "registration_open": "on",
        },
    )
    event = Event.objects.get(workspace=membership.workspace)
    assert created["Location"] == reverse("community:event", args=[event.pk])
    page = client.get(created["Location"]).content.decode()
    assert f"/community/e/{event.slug}/" in page
    assert 'data-kpi="registered">0<' in page

    headers = bearer(membership)
    body = Client().get(f"/api/v1/community/events/{event.pk}", headers=headers).json()
    assert (body["title"], body["kind"], body["kpis"]["registered"]) == ("Launch", "online", 0)
    payload = {"title": "x", "starts_at": start.isoformat(), "ends_at": (start + HOUR).isoformat()}
    for bad in (
        {"capacity": 9253819751},
        {"reminder_hours": 10**9},
        {"language": "xx"},
        {"ends_at": start.isoformat()},
    ):
        response = Client().post(
            "/api/v1/community/events", payload | bad, content_type="application/json", headers=headers
        )
        assert response.status_code == 422, bad
    made = Client().post("/api/v1/community/events", payload, content_type="application/json", headers=headers)
    assert made.status_code == 201
    events.register(Event.objects.get(pk=made.json()["id"]), name="Nora", email="nora@example.com")
    listed = Client().get(f"/api/v1/community/events/{made.json()['id']}/registrations", headers=headers).json()
    assert [item["email"] for item in listed["items"]] == ["nora@example.com"]
    code = listed["items"][0]["code"]
    checked = Client().post(
        f"/api/v1/community/events/{made.json()['id']}/check-in",
        {"code": code},
        content_type="application/json",
        headers=headers,
    )
    assert (checked.status_code, checked.json()["status"]) == (200, "attended")


@pytest.mark.parametrize("role", [Role.AGENCY, Role.DESIGNER])
def test_roles_without_community_access_see_no_registration(role):
    membership = manager()
    event = make_event(membership)
    events.register(event, name="Sigrid Secret", email="sigrid@example.com")
    outsider = make_member(membership.workspace, role=role)
    client = signed_in(outsider)
    for url in (reverse("community:events"), reverse("community:event", args=[event.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "sigrid" not in response.content.decode().lower()
    headers = bearer(outsider)
    for path in (
        "/api/v1/community/events",
        f"/api/v1/community/events/{event.pk}",
        f"/api/v1/community/events/{event.pk}/registrations",
    ):
        response = Client().get(path, headers=headers)
        assert response.status_code == 403
        assert "sigrid" not in response.content.decode().lower()


def test_erasing_a_member_erases_their_registrations():
    membership = manager()
    event = make_event(membership)
    registration = events.register(event, name="Sigrid", email="sigrid@example.com")
    owner = make_member(membership.workspace, role=Role.OWNER)
    member = Member.objects.get(pk=registration.member_id)
    services.member_erase(actor=actor(owner), membership=owner, member=member, reason="ticket 1")
    assert not EventRegistration.objects.filter(pk=registration.pk).exists()
