"""The inbox in a real browser (Debian's Chromium through Playwright): the queue puts a purchase
request first; the keyboard opens it and jumps to the reply box; a saved reply fills in the
customer's and agent's names and goes out through the connector (the network's documented answer,
replayed by a local server); a colleague looking at the same conversation is shown; a note and a
tag; closing needs an outcome reason; two conversations are bulk-assigned from the queue."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pappus.connectors.mastodon import mapping
from pappus.connectors.tests.factories import make_account, mastodon_account_json, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_workspace
from pappus.inbox import facade, services
from pappus.inbox.models import Conversation, ConversationStatus, Message, Team
from pappus.inbox.tests.factories import make_conversation

# Playwright's sync API runs an event loop in this thread; the ORM is used between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
ACTOR = Actor.system("test")

PURCHASE = {
    "id": "500",
    "url": "https://example.social/@kari/500",
    "created_at": "2026-03-02T09:00:00.000Z",
    "content": "<p>[purchase] Can I order 2 kg of the Autumn blend?</p>",
    "account": mastodon_account_json("42", "kari", display_name="Kari Nordmann"),
}
ANSWER = {
    "id": "501",
    "url": "https://example.social/@brand/501",
    "created_at": "2026-03-02T09:05:00.000Z",
    "content": "<p>@kari Yes</p>",
    "in_reply_to_id": "500",
    "account": mastodon_account_json(),
}


def workspace_team(workspace, name: str) -> Team:
    return Team.objects.for_workspace(workspace).select_related("sla_policy").get(name=name)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"inbox-{name}.png"), full_page=True)


def sign_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")


@pytest.fixture
def replay():
    server = ReplayServer()
    serve_mastodon_account(server)
    server.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)
    server.add("GET", "/api/v1/statuses/500", Answer(200, PURCHASE), always=True)
    server.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    yield server
    server.close()


@pytest.fixture
def inbox(transactional_db, replay):
    workspace = make_workspace(name="Nordlys Coffee")
    agent = make_member(workspace, Role.COMMUNITY_MANAGER, email="ingrid@example.com", full_name="Ingrid Solberg")
    colleague = make_member(workspace, Role.COMMUNITY_MANAGER, email="ola@example.com", full_name="Ola Berg")
    services.saved_reply_create(
        actor=ACTOR,
        membership=agent,
        title="Order help",
        language="en",
        body="Hi {customer_name}, {agent_name} here: yes, 2 kg bags are in stock on {network}.",
    )
    make_conversation(workspace, "[praise] Lovely coffee this morning", author_name="Mia")
    make_conversation(workspace, "[question] When do you open on Sunday?", author_name="Per")
    make_conversation(workspace, "[complaint] My order came late", author_name="Ivan")
    account = make_account(workspace, base_url=replay.url)
    facade.receive_inbound(account.pk, [mapping.inbound_status(PURCHASE, my_id="1", base_url=replay.url)])
    return workspace, agent, colleague


def test_purchase_first_keyboard_reply_with_a_saved_reply_close_and_bulk_assign(browser, live_server, inbox, replay):
    workspace, _agent, colleague = inbox
    purchase = Conversation.objects.get(workspace=workspace, account__isnull=False)

    # A colleague has the conversation open already.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    other_page = other.new_page()
    sign_in(other_page, live_server.url, "ola@example.com")
    other_page.goto(f"{live_server.url}/inbox/{purchase.pk}/")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "ingrid@example.com")
    page.goto(f"{live_server.url}/inbox/")
    page.get_by_test_id("queue-count").filter(has_text="4 conversations").wait_for()
    first = page.locator("tr[data-row='0']")
    assert "Kari Nordmann" in first.inner_text()
    assert "Urgent" in first.inner_text()
    assert "Purchase intent" in first.inner_text()
    screenshot(page, "01-queue")

    # Keyboard: the first row is current; Enter opens it, r goes to the reply box.
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/inbox/{purchase.pk}/")
    page.get_by_test_id("collision").filter(has_text="Ola Berg is looking at this conversation too.").wait_for()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "id_text"
    page.get_by_test_id("saved-replies").select_option(label="Order help (en)")
    filled = "Hi Kari Nordmann, Ingrid here: yes, 2 kg bags are in stock on mastodon."
    assert page.locator("#id_text").input_value() == filled
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Reply sent.").wait_for()
    sent = replay.requests_to("POST", "/api/v1/statuses")
    assert len(sent) == 1
    assert json.loads(sent[0].body)["status"].endswith(filled)
    assert json.loads(sent[0].body)["in_reply_to_id"] == "500"
    page.locator("[data-testid=message]").filter(has_text=filled).wait_for()
    # The answer is recorded as based on the saved reply (adoption ranks saved replies by it).
    assert Message.objects.get(text=filled).saved_reply.title == "Order help"  # type: ignore[union-attr]

    # An internal note and a tag.
    page.get_by_label("Internal note", exact=True).fill("Customer wants invoice by mail.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_test_id("note").filter(has_text="Customer wants invoice by mail.").wait_for()
    page.get_by_label("Tag", exact=True).fill("Wholesale")
    page.get_by_role("button", name="Add tag").click()
    page.locator(".tag", has_text="wholesale").first.wait_for()
    screenshot(page, "02-conversation")

    # c goes to the outcome; closing without one is refused by the form, with one it closes.
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "id_reason"
    page.get_by_role("button", name="Close conversation").click()
    assert page.evaluate("document.getElementById('id_reason').validity.valueMissing") is True
    page.get_by_label("Outcome").select_option(label="Sale made")
    page.get_by_role("button", name="Close conversation").click()
    page.get_by_text("Conversation closed.").wait_for()
    purchase.refresh_from_db()
    assert (purchase.status, purchase.outcome_reason) == (ConversationStatus.CLOSED, "Sale made")

    # Back in the queue (3 left): j moves down, x selects; two conversations go to Ola at once.
    page.get_by_test_id("queue-count").filter(has_text="3 conversations").wait_for()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    boxes = page.locator("input[name=conversations]")
    assert [boxes.nth(index).is_checked() for index in range(3)] == [True, True, False]
    chosen = [int(boxes.nth(index).get_attribute("value")) for index in range(2)]
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.name") == "action"
    page.locator("#bulk-form [name=assignee]").select_option(label="Ola Berg")
    page.get_by_test_id("bulk-submit").click()
    page.get_by_text("2 conversations done.").wait_for()
    screenshot(page, "03-bulk")
    assigned = dict(Conversation.objects.filter(workspace=workspace).values_list("pk", "assignee_id"))
    assert [assigned[pk] for pk in chosen] == [colleague.user_id, colleague.user_id]
    assert sum(1 for value in assigned.values() if value == colleague.user_id) == 2

    # From a conversation, j goes to the next one of the queue last shown.
    rows = page.locator("tr[data-row]")
    first_url, second_url = rows.nth(0).get_attribute("data-url"), rows.nth(1).get_attribute("data-url")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{first_url}")
    page.keyboard.press("j")
    page.wait_for_url(f"{live_server.url}{second_url}")
    other.close()
    context.close()


def test_settings_a_team_a_rule_and_the_live_routing_test(page, live_server, inbox):
    workspace, agent, _colleague = inbox
    page.set_viewport_size({"width": 1280, "height": 1000})
    sign_in(page, live_server.url, "ingrid@example.com")
    page.goto(f"{live_server.url}/inbox/")
    page.get_by_role("link", name="Inbox settings").click()
    page.get_by_role("heading", name="Inbox settings", level=1).wait_for()

    page.get_by_text("New team", exact=True).click()
    team_form = page.get_by_test_id("team-form")
    team_form.get_by_label("Name").fill("Sales")
    team_form.get_by_label("Kind").select_option("sales")
    team_form.get_by_label("Ingrid Solberg").check()
    team_form.get_by_label("Assignment").select_option("load_based")
    team_form.get_by_label("Time zone").fill("Europe/Oslo")
    team_form.get_by_label("Business hours").fill("mon-fri: 09:00-17:00")
    team_form.get_by_role("button", name="Create the team").click()
    page.get_by_text("Team Sales created.").wait_for()
    sla = page.get_by_test_id("sla-form")
    sla.get_by_label("First response within (minutes)").fill("30")
    sla.get_by_role("button", name="Save the SLA").click()
    page.get_by_text("SLA saved.").wait_for()

    page.goto(f"{live_server.url}/inbox/settings/")
    page.get_by_text("New routing rule", exact=True).click()
    rule_form = page.get_by_test_id("rule-form")
    rule_form.get_by_label("Name").fill("Buyers")
    rule_form.get_by_label("Send to team").select_option(label="Sales")
    rule_form.get_by_label("Purchase intent").check()
    rule_form.get_by_role("button", name="Add the rule").click()
    page.get_by_text("Routing rule Buyers added.").wait_for()

    # The test updates while the sample is typed (htmx, nothing stored).
    page.get_by_text("Test the rules with a sample message", exact=True).click()
    page.get_by_label("Sample message").fill("[purchase] Do you have the grinder in black?")
    result = page.get_by_test_id("routing-test-result")
    result.filter(has_text="Rule “Buyers” sends it to Sales.").wait_for()
    page.get_by_label("Sample message").fill("[praise] Lovely shop")
    result.filter(has_text="No rule matches: the conversation would get no team.").wait_for()
    screenshot(page, "04-settings")
    team = workspace_team(workspace, "Sales")
    assert (team.time_zone, team.assignment_mode, team.business_hours["fri"]) == (
        "Europe/Oslo",
        "load_based",
        [["09:00", "17:00"]],
    )
    assert team.sla_policy.first_response_minutes == 30
    assert [user.pk for user in team.members.all()] == [agent.user_id]
