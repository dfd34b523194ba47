"""build_app: wires the Bolt app to the services; holds no rules."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.handlers import (
    errors,
    escalate,
    escalate_modal,
    home,
    invitations,
    membership,
    middleware,
    reactions,
    resolution,
    shortcuts,
    status_updates,
    surface_context,
    unused_events,
)
from bot.services import Services
from bot.surfaces import Surfaces


def build_app(services: Services, surfaces: Surfaces | None = None) -> AsyncApp:
    """The Bolt app for `services`: verification, middleware, listeners and the error handler."""
    app = AsyncApp(
        client=services.gateway.client,
        signing_secret=services.settings.signing_secret(),
        logger=logging.getLogger("swarmbot.bolt"),
        # Answer Slack within its 3 seconds; the listener goes on after ack().
        process_before_response=False,
    )
    middleware.register(app, services)
    surface_context.register(app, surfaces or Surfaces.create(services))
    errors.register(app, services.gateway)
    escalate.register(app)
    escalate_modal.register(app)
    shortcuts.register(app)
    home.register(app)
    membership.register(app)
    reactions.register(app)
    invitations.register(app)
    status_updates.register(app)
    resolution.register(app)
    unused_events.register(app)
    return app
