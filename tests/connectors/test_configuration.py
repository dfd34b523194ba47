"""Which connectors the settings ask for, and the mistakes they refuse."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.connectors import WebhookConnector, ZendeskConnector, connectors_from_settings
from bot.errors import ConfigurationError


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_no_connector_unless_configured():
    assert connectors_from_settings(settings()) == []


def test_zendesk_and_the_webhook_when_both_are_configured():
    found = connectors_from_settings(
        settings(
            swarmbot_zendesk_url="https://acme.zendesk.com/",
            swarmbot_zendesk_email="agent@acme.example",
            swarmbot_zendesk_token="t0ken",
            swarmbot_webhook_url="https://hooks.acme.example/swarmbot",
            swarmbot_webhook_secret="s3cret",
        )
    )
    zendesk, webhook = found
    assert isinstance(zendesk, ZendeskConnector) and isinstance(webhook, WebhookConnector)
    assert zendesk.base_url == "https://acme.zendesk.com" and zendesk.tag == "swarmbot-archived"
    assert webhook.url == "https://hooks.acme.example/swarmbot"


def test_a_half_configured_zendesk_names_what_is_missing():
    with pytest.raises(ConfigurationError, match="SWARMBOT_ZENDESK_EMAIL, SWARMBOT_ZENDESK_TOKEN"):
        connectors_from_settings(settings(swarmbot_zendesk_url="https://acme.zendesk.com"))


def test_an_unsigned_webhook_is_refused():
    with pytest.raises(ConfigurationError, match="SWARMBOT_WEBHOOK_SECRET"):
        connectors_from_settings(settings(swarmbot_webhook_url="https://hooks.acme.example/x"))


def test_urls_must_be_web_urls_and_tags_one_word():
    with pytest.raises(ConfigurationError, match="SWARMBOT_WEBHOOK_URL must be an http"):
        connectors_from_settings(
            settings(swarmbot_webhook_url="hooks.acme.example", swarmbot_webhook_secret="s")
        )
    with pytest.raises(ConfigurationError, match="SWARMBOT_ZENDESK_TAG"):
        connectors_from_settings(
            settings(
                swarmbot_zendesk_url="https://acme.zendesk.com",
                swarmbot_zendesk_email="a@acme.example",
                swarmbot_zendesk_token="t",
                swarmbot_zendesk_tag="swarm bot",
            )
        )
