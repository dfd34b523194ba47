"""The connectors the settings ask for (the built-in ticket record is always kept and needs none)."""

from __future__ import annotations

from typing import Protocol

from pydantic import SecretStr

from bot.connectors.ticket import TicketConnector
from bot.connectors.webhook import WebhookConnector
from bot.connectors.zendesk import ZendeskConnector
from bot.errors import ConfigurationError


class ConnectorSettings(Protocol):
    """The settings connectors read (bot.config.Settings has them)."""

    @property
    def swarmbot_zendesk_url(self) -> str | None: ...
    @property
    def swarmbot_zendesk_email(self) -> str | None: ...
    @property
    def swarmbot_zendesk_token(self) -> SecretStr | None: ...
    @property
    def swarmbot_zendesk_tag(self) -> str: ...
    @property
    def swarmbot_webhook_url(self) -> str | None: ...
    @property
    def swarmbot_webhook_secret(self) -> SecretStr | None: ...


def connectors_from_settings(settings: ConnectorSettings) -> list[TicketConnector]:
    """Zendesk when SWARMBOT_ZENDESK_URL/EMAIL/TOKEN are set, the webhook when SWARMBOT_WEBHOOK_URL is."""
    connectors: list[TicketConnector] = []
    token = _secret(settings.swarmbot_zendesk_token)
    zendesk = {
        "SWARMBOT_ZENDESK_URL": settings.swarmbot_zendesk_url,
        "SWARMBOT_ZENDESK_EMAIL": settings.swarmbot_zendesk_email,
        "SWARMBOT_ZENDESK_TOKEN": token,
    }
    if any(zendesk.values()):
        missing = [name for name, value in zendesk.items() if not value]
        if missing:
            raise ConfigurationError(
                f"Zendesk is half configured: set {', '.join(missing)} too (or unset the other "
                "SWARMBOT_ZENDESK_* settings)."
            )
        url = _web_url("SWARMBOT_ZENDESK_URL", settings.swarmbot_zendesk_url or "")
        tag = settings.swarmbot_zendesk_tag.strip()
        if not tag or any(char.isspace() for char in tag):
            raise ConfigurationError("SWARMBOT_ZENDESK_TAG must be one word (Zendesk tags have no spaces).")
        connectors.append(
            ZendeskConnector(base_url=url, email=settings.swarmbot_zendesk_email or "", token=token, tag=tag)
        )
    if settings.swarmbot_webhook_url:
        url = _web_url("SWARMBOT_WEBHOOK_URL", settings.swarmbot_webhook_url)
        secret = _secret(settings.swarmbot_webhook_secret)
        if not secret:
            raise ConfigurationError(
                "SWARMBOT_WEBHOOK_URL is set but SWARMBOT_WEBHOOK_SECRET is not: swarmbot signs every "
                "delivery; set a long random secret and share it with the receiver."
            )
        connectors.append(WebhookConnector(url=url, secret=secret))
    return connectors


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _web_url(name: str, url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(f"{name} must be an http(s) URL, not `{url}`.")
    return url
