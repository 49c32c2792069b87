"""What Facebook Pages and Instagram share: Meta's Graph API, its error object and its usage headers.

Errors (https://developers.facebook.com/docs/graph-api/guides/error-handling) come as
``{"error": {"message", "type", "code", "error_subcode", "error_user_title", "error_user_msg",
"fbtrace_id"}}``, mostly with HTTP 400, whatever the cause; the code decides. Usage comes in
``X-App-Usage`` / ``X-Page-Usage`` / ``X-Business-Use-Case-Usage`` as percentages of the budget, the
last with ``estimated_time_to_regain_access`` in minutes once throttled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
from pappus.connectors.contracts import RateLimitBudget
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)

logger = logging.getLogger("pappus.connectors")

GRAPH_VERSION = "v21.0"
AUTH_CODES = frozenset({102, 190})  # API session; access token expired, revoked or invalid (subcodes 458-467)
# Too many calls (app, user), page-level and business-use-case throttling, app limit reached;
# 9 with subcode 2207042: an Instagram account's 24-hour publishing limit.
RATE_CODES = frozenset({4, 9, 17, 32, 341, 613, 80001, 80002, 80004, 80005, 80006, 80008, 80014})
TEMPORARY_CODES = frozenset({1, 2})  # API unknown, API service: "wait and retry"
NOT_FOUND_CODES = frozenset({803})  # "Some of the aliases you requested do not exist"
OBJECT_MISSING_SUBCODE = (
    33  # code 100: "Object with ID ... does not exist, cannot be loaded due to missing permissions"
)
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def graph_error_object(response: httpx.Response) -> dict[str, Any] | None:
    body = _body(response)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return None


def _usage_entries(response: httpx.Response) -> list[dict[str, Any]]:
    """Every usage record in the three headers (the business one nests lists under business ids)."""
    entries: list[dict[str, Any]] = []
    for name in USAGE_HEADERS:
        value = response.headers.get(name)
        if not value:
            continue
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict) and any(isinstance(item, list) for item in parsed.values()):
            for records in parsed.values():
                entries.extend(record for record in records if isinstance(record, dict))
        elif isinstance(parsed, dict):
            entries.append(parsed)
    return entries


def usage_budget(response: httpx.Response) -> RateLimitBudget | None:
    """The tightest of the reported usages, as a budget of 100 (per cent)."""
    used = [
        int(value)
        for entry in _usage_entries(response)
        for key in ("call_count", "total_cputime", "total_time")
        if isinstance((value := entry.get(key)), int | float)
    ]
    if not used:
        return None
    return RateLimitBudget(limit=100, remaining=max(0, 100 - max(used)))


def regain_seconds(response: httpx.Response) -> float | None:
    minutes = [
        float(value)
        for entry in _usage_entries(response)
        if isinstance((value := entry.get("estimated_time_to_regain_access")), int | float)
    ]
    return max(minutes) * 60 if minutes and max(minutes) > 0 else None


class GraphConnector(HttpConnector):
    """The Graph API's calls and errors; Facebook Pages and Instagram build on it."""

    graph_version: ClassVar[str] = GRAPH_VERSION

    def graph(self, method: str, path: str, **arguments: Any) -> Any:
        """One Graph API call on ``/<version>/<path>``; its JSON."""
        if not self.credentials.get("access_token"):
            raise AuthExpiredError("No access token is stored: reconnect the account.", network=self.network)
        return self.request_json(method, f"/{self.graph_version}/{path.lstrip('/')}", **arguments)

    def read_rate_limit(self, response: httpx.Response) -> RateLimitBudget | None:
        return usage_budget(response) or super().read_rate_limit(response)

    def error_reason(self, response: httpx.Response) -> str:
        error = graph_error_object(response)
        if error is not None:
            reason = error.get("error_user_msg") or error.get("message")
            if isinstance(reason, str) and reason:
                return reason[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def map_error(self, response: httpx.Response) -> ConnectorError:
        error = graph_error_object(response)
        if error is None:
            return super().map_error(response)
        status = response.status_code
        code = error.get("code")
        subcode = error.get("error_subcode")
        reason = self.error_reason(response)
        network = self.network
        logger.info(
            "connectors.graph_error network=%s code=%s subcode=%s fbtrace_id=%s",
            network,
            code,
            subcode,
            error.get("fbtrace_id"),
        )
        if code in AUTH_CODES:
            return AuthExpiredError(f"{self.label} refused the token: {reason}", network=network, status=status)
        if code in RATE_CODES or (isinstance(code, int) and 80000 <= code < 80100):
            return RateLimitedError(
                f"{self.label} rate limit reached: {reason}",
                retry_after=regain_seconds(response) or self.retry_after(response),
                network=network,
                status=status,
            )
        if code in TEMPORARY_CODES or error.get("is_transient") is True or status >= 500:
            return TemporaryFailureError(f"{self.label} failed: {reason}", network=network, status=status)
        if code in NOT_FOUND_CODES or (code == 100 and subcode == OBJECT_MISSING_SUBCODE):
            return NotFoundError(f"{self.label}: {reason}", network=network, status=status)
        # 368 (blocked for policy), 506 (duplicate post), 1609005 (link), 10/200-299 (permission), 100 (invalid).
        return ContentRejectedError(reason, network=network, status=status)


def insight_values(answer: Mapping[str, Any]) -> dict[str, int]:
    """``{"data": [{"name", "period", "values": [{"value"}]}]}`` → the latest value of each metric."""
    found: dict[str, int] = {}
    for metric in answer.get("data") or []:
        values = metric.get("values") or []
        value = values[-1].get("value") if values and isinstance(values[-1], dict) else None
        if isinstance(value, int) and isinstance(metric.get("name"), str):
            found[metric["name"]] = value
    return found
