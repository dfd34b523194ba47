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
    unused_events,
)
from bot.handlers.authorization import authorize_with
from bot.services import Services
from bot.surfaces import Surfaces


def build_app(
    services: Services, surfaces: Surfaces | None = None, *, process_before_response: bool = False
) -> AsyncApp:
    """The Bolt app for `services`: verification, middleware, listeners and the error handler.

    `process_before_response`: answer only once the listener is done (replays of stored events); Slack's
    own requests are answered at the ack, within its 3 seconds, and the listener goes on after it.
    """
    app = AsyncApp(
        client=services.gateway.client,
        authorize=authorize_with(services.gateway, bot_token=services.settings.bot_token()),
        signing_secret=services.settings.signing_secret(),
        logger=logging.getLogger("swarmbot.bolt"),
        process_before_response=process_before_response,
    )
    middleware.register(app, services, surfaces or Surfaces.create(services))
    errors.register(app, services.gateway)
    # Bolt tries listeners in the order they were registered, each with its own matchers: the most
    # frequent requests first (a reaction in any channel the bot is in, people joining, commands, clicks).
    reactions.register(app)
    membership.register(app)
    escalate.register(app)
    invitations.register(app)
    status_updates.register(app)
    resolution.register(app)
    home.register(app)
    escalate_modal.register(app)
    shortcuts.register(app)
    unused_events.register(app)
    return app
