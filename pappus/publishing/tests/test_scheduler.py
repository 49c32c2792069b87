"""Exactly-once delivery against a local Mastodon-speaking server that counts every post.

The server can ignore idempotency keys (``honour_idempotency=False``): then a variant sent twice
shows up as two statuses, so these tests catch a double send even where a real network would
have hidden it.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing import scheduler, selectors, services
from pappus.publishing.models import Notification, Post, PostStatus, Variant, VariantStatus
from pappus.publishing.tests.factories import ACTOR, make_scheduled_post, variants_of
from pappus.publishing.tests.mastodon_server import TOKEN, LocalMastodon, Script, connector_factory


class WorkerKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the scheduler catches it."""


def _crash_after_send(base_url: str) -> Any:
    build = connector_factory(base_url)

    class Crashing:
        def __init__(self, delivery: Any) -> None:
            self.inner = build(delivery)

        def publish(self, request: Any) -> Any:
            self.inner.publish(request)  # the network has the post now ...
            raise WorkerKilled  # ... and the worker dies before recording it

        def reply(self, parent: str, request: Any) -> Any:
            return self.inner.reply(parent, request)

        def close(self) -> None:
            self.inner.close()

    return Crashing


@pytest.mark.django_db
def test_a_due_post_is_published_once_and_audited(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager, text="Autumn blend is back")
    not_due = make_scheduled_post(manager, planned_at=timezone.now() + datetime.timedelta(hours=1))
    with LocalMastodon(honour_idempotency=False) as server:
        report = scheduler.run_due(connector_for=connector_factory(server.base_url))
        again = scheduler.run_due(connector_for=connector_factory(server.base_url))
    assert (report.claimed, report.published, again.claimed) == (1, 1, 0)
    assert server.state.texts() == ["Autumn blend is back"]
    (variant,) = variants_of(post)
    assert variant.status == VariantStatus.PUBLISHED
    assert variant.remote_url == f"{server.base_url}/@alice/1000"
    assert variant.attempts == 1
    assert server.state.requests_per_key == {str(variant.idempotency_key): 1}
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED
    assert Post.objects.get(pk=not_due.pk).status == PostStatus.SCHEDULED
    assert AuditEvent.objects.filter(workspace=workspace, action="variant.publish").count() == 1
    assert AuditEvent.objects.filter(workspace=workspace, action="post.publish", object_id=str(post.pk)).count() == 1


@pytest.mark.django_db
def test_hashtags_link_and_first_comment_go_out(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager, planned_at=timezone.now() + datetime.timedelta(hours=1))
    services.post_unschedule(actor=ACTOR, membership=manager, post=post)
    (variant,) = variants_of(post)
    services.variant_update(
        actor=ACTOR,
        membership=manager,
        variant=variant,
        text="New roast",
        hashtags=["#coffee", "nordlys"],
        link="https://nordlys.example/roast",
        first_comment="Tell us what you think",
    )
    services.post_submit(actor=ACTOR, membership=manager, post=post)
    services.post_approve(actor=ACTOR, membership=manager, post=post)
    services.post_schedule(actor=ACTOR, membership=manager, post=post, planned_at=timezone.now())
    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    assert server.state.texts() == [
        "New roast\n\n#coffee #nordlys\n\nhttps://nordlys.example/roast",
        "Tell us what you think",
    ]
    variant.refresh_from_db()
    assert (variant.status, variant.last_error) == (VariantStatus.PUBLISHED, "")


@pytest.mark.django_db
def test_a_passing_error_is_retried_with_backoff_then_published(workspace):
    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager)
    with LocalMastodon(honour_idempotency=False) as server:
        server.state.scripted.append(Script(status=503, body={"error": "Service temporarily unavailable"}))
        before = timezone.now()
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        (variant,) = variants_of(post)
        assert variant.status == VariantStatus.SCHEDULED
        assert variant.attempts == 1
        assert "Service temporarily unavailable" in variant.last_error
        assert variant.last_error_code == "temporary_failure"
        assert variant.next_attempt_at is not None
        assert before + datetime.timedelta(seconds=59) < variant.next_attempt_at
        assert variant.next_attempt_at < timezone.now() + datetime.timedelta(seconds=61)
        assert scheduler.run_due(connector_for=connector_factory(server.base_url)).claimed == 0  # not yet due
        Variant.objects.filter(pk=variant.pk).update(next_attempt_at=timezone.now())
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    variant.refresh_from_db()
    assert (variant.status, variant.attempts) == (VariantStatus.PUBLISHED, 2)
    assert server.state.created == 1
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


def test_backoff_doubles_and_respects_what_the_network_asks():
    assert [scheduler.backoff_seconds(attempt) for attempt in (1, 2, 3, 4, 7, 12)] == [60, 120, 240, 480, 3600, 3600]
    assert scheduler.backoff_seconds(1, asked=900.0) == 900.0


@pytest.mark.django_db
def test_a_refusal_fails_with_the_networks_reason_and_alerts_the_author(workspace, client):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author)
    reason = "Validation failed: Text character limit of 500 exceeded"
    with LocalMastodon() as server:
        server.state.scripted.append(Script(status=422, body={"error": reason}))
        report = scheduler.run_due(connector_for=connector_factory(server.base_url))
    assert report.failed == 1
    (variant,) = variants_of(post)
    assert (variant.status, variant.last_error, variant.last_error_code) == (
        VariantStatus.FAILED,
        reason,
        "content_rejected",
    )
    assert Post.objects.get(pk=post.pk).status == PostStatus.FAILED
    (note,) = Notification.objects.filter(user=author.user)
    assert reason in note.text
    assert list(selectors.failed_posts(workspace)) == [Post.objects.get(pk=post.pk)]
    assert AuditEvent.objects.filter(workspace=workspace, action="variant.fail").count() == 1
    assert AuditEvent.objects.filter(workspace=workspace, action="post.fail").count() == 1


@pytest.mark.django_db
def test_retrying_a_failed_post_publishes_it(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author)
    with LocalMastodon() as server:
        server.state.scripted.append(Script(status=401, body={"error": "The access token was revoked"}))
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        assert Post.objects.get(pk=post.pk).status == PostStatus.FAILED
        services.post_retry_failed(actor=ACTOR, membership=author, post=post)
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED
    assert server.state.created == 1


@pytest.mark.django_db
def test_no_answer_from_a_network_without_idempotency_keys_needs_a_person(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author, networks=("telegram",))
    with LocalMastodon(honour_idempotency=True) as server:
        # The connector repeats a request once on a dropped connection; both answers are lost.
        server.state.scripted += [Script(drop_after_create=True), Script(drop_after_create=True)]
        report = scheduler.run_due(connector_for=connector_factory(server.base_url))
        assert report.unknown == 1
        assert scheduler.run_due(connector_for=connector_factory(server.base_url)).claimed == 0
    (variant,) = variants_of(post)
    assert variant.status == VariantStatus.UNKNOWN
    assert "check whether the post is there" in variant.last_error
    assert server.state.created == 1  # it did arrive, and it was not sent again
    services.variant_resolve_unknown(
        actor=ACTOR, membership=author, variant=variant, published=True, remote_url="https://t.me/nordlys/1"
    )
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


@pytest.mark.django_db
def test_no_answer_from_mastodon_is_retried_with_the_same_key_without_a_second_post(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author)
    with LocalMastodon(honour_idempotency=True) as server:
        server.state.scripted += [Script(drop_after_create=True), Script(drop_after_create=True)]
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        (variant,) = variants_of(post)
        assert variant.status == VariantStatus.SCHEDULED
        Variant.objects.filter(pk=variant.pk).update(next_attempt_at=timezone.now())
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    variant.refresh_from_db()
    assert variant.status == VariantStatus.PUBLISHED
    assert variant.remote_id == "1000"
    assert server.state.created == 1
    assert server.state.requests_per_key[str(variant.idempotency_key)] == 3


@pytest.mark.django_db
def test_a_crash_between_send_and_record_does_not_post_twice(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author)
    with LocalMastodon(honour_idempotency=True) as server:
        with pytest.raises(WorkerKilled):
            scheduler.run_due(connector_for=_crash_after_send(server.base_url))
        (variant,) = variants_of(post)
        assert variant.status == VariantStatus.SENDING
        assert server.state.created == 1
        # Another worker, before the lease runs out, leaves it alone.
        assert scheduler.run_due(connector_for=connector_factory(server.base_url)).claimed == 0
        # After the lease: reclaimed and sent again with the same key; the network returns the first post.
        later = timezone.now() + scheduler.LEASE + datetime.timedelta(seconds=1)
        deliveries = scheduler.reclaim_expired(now=later)
        assert [delivery.variant_id for delivery in deliveries] == [variant.pk]
        for delivery in deliveries:
            scheduler.record(scheduler.send(delivery, connector_factory(server.base_url)))
    variant.refresh_from_db()
    assert (variant.status, variant.remote_id, variant.attempts) == (VariantStatus.PUBLISHED, "1000", 2)
    assert server.state.created == 1
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


@pytest.mark.django_db
def test_a_crash_on_a_network_without_idempotency_keys_is_never_sent_again(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author, networks=("telegram",))
    with LocalMastodon(honour_idempotency=False) as server:
        with pytest.raises(WorkerKilled):
            scheduler.run_due(connector_for=_crash_after_send(server.base_url))
        later = timezone.now() + scheduler.LEASE + datetime.timedelta(seconds=1)
        assert scheduler.reclaim_expired(now=later) == []
    (variant,) = variants_of(post)
    assert variant.status == VariantStatus.UNKNOWN
    assert "The worker stopped while sending" in variant.last_error
    assert server.state.created == 1
    assert sum(server.state.requests_per_key.values()) == 1
    assert Notification.objects.filter(user=author.user, variant=variant).count() == 1
    assert Post.objects.get(pk=post.pk).status == PostStatus.FAILED


@pytest.mark.django_db
def test_a_lease_older_than_the_idempotency_window_is_not_resent(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author)
    (delivery,) = scheduler.claim_due()
    much_later = timezone.now() + datetime.timedelta(hours=2)
    assert scheduler.reclaim_expired(now=much_later) == []
    (variant,) = variants_of(post)
    assert variant.pk == delivery.variant_id
    assert variant.status == VariantStatus.UNKNOWN


@pytest.mark.django_db(transaction=True)
def test_racing_workers_claiming_the_same_due_variants_never_send_twice(postgres_required, workspace):
    """Workers in threads, each with its own PostgreSQL connection, race over 120 due variants."""
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    posts = [make_scheduled_post(author, networks=("mastodon", "matrix")) for _ in range(60)]
    expected = {str(key) for key in Variant.objects.values_list("idempotency_key", flat=True)}
    assert len(expected) == 120
    errors: list[BaseException] = []
    reports: list[scheduler.RunReport] = []
    workers = 4
    start = threading.Barrier(workers)

    with LocalMastodon(honour_idempotency=False) as server:

        def work() -> None:
            try:
                Variant.objects.exists()  # open this thread's connection before the race starts
                start.wait()
                reports.append(scheduler.run_due(connector_for=connector_factory(server.base_url), batch_size=3))
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    assert server.state.created == 120
    assert set(server.state.requests_per_key) == expected
    assert set(server.state.requests_per_key.values()) == {1}
    assert sum(1 for report in reports if report.published) > 1, "the workers should have shared the work"
    assert sum(report.published for report in reports) == 120
    assert set(Variant.objects.values_list("status", flat=True)) == {VariantStatus.PUBLISHED}
    assert set(Post.objects.filter(pk__in=[p.pk for p in posts]).values_list("status", flat=True)) == {
        PostStatus.PUBLISHED
    }


@pytest.mark.django_db
def test_the_minute_job_sends_through_the_connected_account(workspace):
    """The production path: dispatch_due → send_due → the account's stored, encrypted credentials."""
    from pappus.connectors import services as connector_services
    from pappus.publishing import tasks

    owner = make_member(workspace, role=Role.OWNER)
    with LocalMastodon(honour_idempotency=False) as server:
        account = connector_services.account_connect(
            actor=ACTOR,
            membership=owner,
            network="mastodon",
            base_url=server.base_url,
            credentials={"access_token": TOKEN},
        )
        post = services.post_create(actor=ACTOR, membership=owner, title="Live", text="Sent by the minute job")
        services.variant_add(
            actor=ACTOR, membership=owner, post=post, network="mastodon", account_id=account.pk, account_label="@alice"
        )
        services.post_submit(actor=ACTOR, membership=owner, post=post)
        services.post_approve(actor=ACTOR, membership=owner, post=post)
        services.post_schedule(actor=ACTOR, membership=owner, post=post, planned_at=timezone.now())
        assert tasks.dispatch_due() == 1  # jobs run inline in the test settings
        assert tasks.dispatch_due() == 0
    assert server.state.texts() == ["Sent by the minute job"]
    assert Post.objects.get(pk=post.pk).status == PostStatus.PUBLISHED


@pytest.mark.django_db
def test_a_variant_whose_account_is_gone_fails_with_a_reason(workspace):
    owner = make_member(workspace, role=Role.OWNER)
    post = make_scheduled_post(owner)  # account ids in the factory point at no account
    scheduler.run_due()
    (variant,) = variants_of(post)
    assert (variant.status, variant.last_error_code) == (VariantStatus.FAILED, "account_missing")
    assert variant.last_error == "The connected account of this variant no longer exists."


@pytest.mark.django_db
def test_an_account_set_to_ignore_idempotency_keys_is_never_resent_after_a_crash(workspace):
    """snac2 speaks the Mastodon API but ignores Idempotency-Key: its account's own window (0) wins
    over the hour Mastodon declares, so a send cut short becomes "unknown" instead of a re-send."""
    from pappus.connectors.tests.factories import make_account

    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    trusting = make_account(workspace, base_url="http://127.0.0.1:9", handle="@trusting@127.0.0.1", remote_id="1")
    ignoring = make_account(
        workspace,
        base_url="http://127.0.0.1:9",
        handle="@ignoring@127.0.0.1",
        remote_id="2",
        idempotency_window_override=0,
    )
    first, second = make_scheduled_post(author), make_scheduled_post(author)
    Variant.objects.filter(post=first).update(account_id=trusting.pk)
    Variant.objects.filter(post=second).update(account_id=ignoring.pk)
    assert len(scheduler.claim_due()) == 2
    later = timezone.now() + scheduler.LEASE + datetime.timedelta(seconds=1)
    resent = scheduler.reclaim_expired(now=later)
    (trusting_variant,) = variants_of(first)
    (ignoring_variant,) = variants_of(second)
    assert [delivery.variant_id for delivery in resent] == [trusting_variant.pk]
    assert ignoring_variant.status == VariantStatus.UNKNOWN


@pytest.mark.django_db
def test_a_batch_is_claimed_and_recorded_with_a_few_queries_whatever_its_size(workspace):
    """Recording is per batch (one UPDATE for the published rows, bulk audit events, posts settled
    together): 50 due variants in two batches of 25 cost the same statements as two variants would."""
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    posts = [make_scheduled_post(author, networks=("mastodon", "matrix")) for _ in range(25)]
    with LocalMastodon(honour_idempotency=False) as server, CaptureQueriesContext(connection) as captured:
        report = scheduler.run_due(connector_for=connector_factory(server.base_url))
    statements = [query["sql"] for query in captured.captured_queries if "SAVEPOINT" not in query["sql"]]
    # Per batch: reclaim (1), claim (select, update: 2), record (lock, update, audit events: 3), settle
    # (lock posts, their variants' statuses, update, audit events: 4); then the empty round that ends the run (2).
    # (These variants have no connected account; with accounts, each batch adds one read of them all
    # and one update per account for its last publish.)
    assert len(statements) == 2 * 10 + 2, "\n".join(statements)
    assert (report.claimed, report.published) == (50, 50)
    assert server.state.created == 50
    assert set(Post.objects.filter(pk__in=[post.pk for post in posts]).values_list("status", flat=True)) == {
        PostStatus.PUBLISHED
    }
    assert AuditEvent.objects.filter(workspace=workspace, action="variant.publish").count() == 50
    assert AuditEvent.objects.filter(workspace=workspace, action="post.publish").count() == 25


@pytest.mark.django_db
def test_a_run_stops_at_its_time_budget_and_says_so_so_that_the_sender_hands_over(workspace):
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    for _ in range(2):
        make_scheduled_post(author)
    ticks = iter([0.0, 0.0, 100.0])
    with LocalMastodon(honour_idempotency=False) as server:
        cut_short = scheduler.run_due(
            connector_for=connector_factory(server.base_url), batch_size=1, time_budget=50, clock=lambda: next(ticks)
        )
        rest = scheduler.run_due(connector_for=connector_factory(server.base_url), batch_size=1)
    assert (cut_short.published, cut_short.out_of_time) == (1, True)
    assert (rest.published, rest.out_of_time) == (1, False)
    assert server.state.created == 2


@pytest.mark.django_db
def test_each_send_is_recorded_on_the_accounts_health_page(workspace, client):
    """Publishing records each send's outcome through the connectors facade: the health page shows
    "last publish: OK", then "Failed" with the network's reason; a content refusal leaves the account
    active, an expired token marks it expired."""
    from pappus.connectors import services as connector_services
    from pappus.connectors.models import AccountStatus, ConnectedAccount

    owner = make_member(workspace, role=Role.OWNER)
    client.force_login(owner.user)

    def publish(server: LocalMastodon, text: str) -> None:
        post = services.post_create(actor=ACTOR, membership=owner, title=text, text=text)
        services.variant_add(
            actor=ACTOR, membership=owner, post=post, network="mastodon", account_id=account.pk, account_label="@alice"
        )
        services.post_submit(actor=ACTOR, membership=owner, post=post)
        services.post_approve(actor=ACTOR, membership=owner, post=post)
        services.post_schedule(actor=ACTOR, membership=owner, post=post, planned_at=timezone.now())
        scheduler.run_due()

    with LocalMastodon(honour_idempotency=False) as server:
        account = connector_services.account_connect(
            actor=ACTOR,
            membership=owner,
            network="mastodon",
            base_url=server.base_url,
            credentials={"access_token": TOKEN},
        )
        assert ConnectedAccount.objects.get(pk=account.pk).last_publish_ok is None
        publish(server, "First roast")
        row = ConnectedAccount.objects.get(pk=account.pk)
        assert (row.last_publish_ok, row.last_publish_error, row.last_publish_at is not None) == (True, "", True)
        page = client.get("/connectors/").content.decode()
        assert 'data-testid="last-publish"' in page
        assert ">OK<" in page

        reason = "Validation failed: Text character limit of 500 exceeded"
        server.state.scripted.append(Script(status=422, body={"error": reason}))
        publish(server, "Too long")
        row = ConnectedAccount.objects.get(pk=account.pk)
        assert (row.last_publish_ok, row.last_publish_error_code, row.last_publish_error) == (
            False,
            "content_rejected",
            reason,
        )
        assert row.status == AccountStatus.ACTIVE  # the post was refused, not the account
        page = client.get("/connectors/").content.decode()
        assert "Failed" in page
        assert reason in page

        server.state.scripted.append(Script(status=401, body={"error": "The access token is invalid"}))
        publish(server, "After the token ran out")
        row = ConnectedAccount.objects.get(pk=account.pk)
        assert (row.last_publish_ok, row.last_publish_error_code, row.status) == (
            False,
            "auth_expired",
            AccountStatus.EXPIRED,
        )
        assert "The access token is invalid" in row.last_publish_error
