"""Property-based checks of the whole REST API with schemathesis: whatever a client sends that the
published schema allows (and much that it does not), no operation answers with a server error.

The schema is loaded from the running application (Django's WSGI handler), every operation is
called with a valid owner token, and each generated request runs inside a savepoint that is rolled
back, so a request that revokes the token or demotes its owner does not spoil the ones after it.
"""

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_user, make_workspace


@pytest.fixture
def connection_kept_open() -> Any:
    """Keep the test's transaction alive across WSGI requests, as Django's own test client does.

    The WSGI handler closes the database connection after each request when it sits inside a
    transaction; on PostgreSQL that would end the test's transaction and every later request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def owner_token(db: None, connection_kept_open: None) -> str:
    workspace = make_workspace(name="Schemathesis")
    owner = make_member(workspace, role=Role.OWNER)
    make_region(workspace, "Norway")
    make_member(workspace, role=Role.ANALYST)
    make_user("someone@example.com")
    make_region(make_workspace(name="Elsewhere"), "Sweden")
    return tokens.token_create(actor=Actor.system("test"), membership=owner, name="schemathesis").plain


# Loaded from the application itself when the module is collected (pytest-django has set Django up
# by then). schemathesis.pytest.from_fixture would load it lazily, but with pytest 9 it fails.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_operation_answers_with_a_server_error(case: Any, owner_token: str) -> None:
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Bearer {owner_token}"}, checks=[not_a_server_error])
        transaction.set_rollback(True)
