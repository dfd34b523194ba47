"""The table of Web API methods: handler, Slack rate-limit tier and static scopes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .context import CallContext

Handler = Callable[[CallContext], dict[str, Any]]


@dataclass(frozen=True)
class MethodSpec:
    """One Web API method.

    `tier` is "tier1".."tier4" or a special tier name (see ratelimit.TIER_BUDGETS); `scopes` are
    checked for bot tokens before the handler runs (any one suffices); methods whose scope depends
    on the conversation type check it in the handler. `app_level` methods take only an app-level
    token, and every other method refuses one.
    """

    name: str
    handler: Handler
    tier: str
    scopes: tuple[str, ...] = ()
    app_level: bool = False


REGISTRY: dict[str, MethodSpec] = {}


def method(
    name: str, *, tier: str, scopes: tuple[str, ...] = (), app_level: bool = False
) -> Callable[[Handler], Handler]:
    """Register a handler as the Web API method `name`."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = MethodSpec(name=name, handler=handler, tier=tier, scopes=scopes, app_level=app_level)
        return handler

    return register
