"""The registry of connectors: one class per network, found by its ``network`` name."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pappus.connectors.base import Connector, HttpConnector

# The network packages; each registers its connector class when imported.
CONNECTOR_MODULES = (
    "pappus.connectors.bluesky.client",
    "pappus.connectors.facebook.client",
    "pappus.connectors.instagram.client",
    "pappus.connectors.mastodon.client",
    "pappus.connectors.matrix.client",
    "pappus.connectors.telegram.client",
    "pappus.connectors.vk.client",
    "pappus.connectors.reddit.client",
    "pappus.connectors.x.client",
    "pappus.connectors.youtube.client",
    "pappus.connectors.wechat.client",
    "pappus.connectors.weibo.client",
    "pappus.connectors.douyin.client",
    "pappus.connectors.toutiao.client",
)

_CLASSES: dict[str, type[HttpConnector]] = {}


def register[ConnectorClass: type[HttpConnector]](connector_class: ConnectorClass) -> ConnectorClass:
    """Class decorator: make ``connector_class`` the connector of its ``network``."""
    name = connector_class.network
    if not name:
        raise ValueError(f"{connector_class.__name__} has no network name")
    existing = _CLASSES.get(name)
    if existing is not None and existing is not connector_class:
        raise ValueError(f"two connectors for {name}: {existing.__name__} and {connector_class.__name__}")
    _CLASSES[name] = connector_class
    return connector_class


def load_connectors() -> list[str]:
    for module in CONNECTOR_MODULES:
        importlib.import_module(module)
    return sorted(_CLASSES)


def networks() -> list[str]:
    return sorted(_CLASSES)


def connector_class(network: str) -> type[HttpConnector]:
    try:
        return _CLASSES[network]
    except KeyError:
        raise LookupError(f"no connector for the network {network!r}") from None


def build(
    network: str,
    *,
    base_url: str,
    credentials: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    idempotency_window: int | None = None,
) -> Connector:
    """A connector for one account, ready to call; close it (or use ``with``) when done.

    ``idempotency_window``: the account's override of the network's declared window (None: the declaration).
    """
    return connector_class(network)(
        base_url=base_url,
        credentials=credentials,
        options=options,
        timeout=timeout,
        idempotency_window=idempotency_window,
    )
