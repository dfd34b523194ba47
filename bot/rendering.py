"""Jinja2 rendering of Block Kit messages: `render(name, **view)` → `{"blocks": [...], "text": fallback}`.

Templates live in bot/templates/<surface>/<name>.json.j2 and run in a sandboxed environment. Every
interpolated value goes through `|tojson` (after `|mrkdwn` for text people wrote), so user text can never
break the JSON or ping anyone.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot.slack.mrkdwn import escape, truncate


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    """The one template environment (built on first use, not at import)."""
    env = SandboxedEnvironment(
        loader=PackageLoader("bot", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mrkdwn"] = escape
    env.filters["truncate_text"] = truncate
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    return env


def render(name: str, **view: Any) -> dict[str, Any]:
    """Render `templates/<name>.json.j2` into a message with `blocks` and a plain `text` fallback."""
    source = environment().get_template(f"{name}.json.j2").render(**view)
    try:
        message = json.loads(source)
    except json.JSONDecodeError as error:
        raise ValueError(f"template {name} produced invalid JSON: {error}") from error
    if not isinstance(message, dict) or "text" not in message:
        raise ValueError(f"template {name} must produce an object with a `text` fallback")
    return message


def render_view(name: str, **view: Any) -> dict[str, Any]:
    """Render `templates/<name>.json.j2` into a Slack view (a modal or a Home tab)."""
    source = environment().get_template(f"{name}.json.j2").render(**view)
    try:
        rendered = json.loads(source)
    except json.JSONDecodeError as error:
        raise ValueError(f"template {name} produced invalid JSON: {error}") from error
    if not isinstance(rendered, dict) or rendered.get("type") not in ("modal", "home"):
        raise ValueError(f"template {name} must produce a modal or home view")
    return rendered
