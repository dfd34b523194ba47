"""Settings: exactly the environment DESIGN.md lists, read once and passed explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigurationError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///swarmbot.db"


class Settings(BaseSettings):
    """Configuration from the environment (and a `.env` file in the working directory, if present)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = (
        None  # only for `serve --socket` (an xapp- token with connections:write)
    )
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    port: int = 3000
    swarmbot_playbooks_dir: Path | None = None
    # Slack user groups whose members have a skill: "handle=tag,handle=tag" (e.g. "dba=postgres").
    swarmbot_skill_groups: str = ""
    # Who hears when nobody fits and may hand off any commander: "usergroup:HANDLE" or "user:U1,user:U2".
    swarmbot_escalation_managers: str = ""
    # How long an invited expert has to accept before the next candidate is pulled in.
    swarmbot_invitation_timeout: str = "15m"
    # Experts pulled in per requested #skill (a playbook may ask for more).
    swarmbot_experts_per_skill: int = 1
    # Redaction before a transcript is stored: card numbers always; these on request; plus custom regexes
    # (a JSON list, e.g. ["ACME-\\d{6}"]).
    swarmbot_redact_emails: bool = False
    swarmbot_redact_phones: bool = False
    swarmbot_redact_patterns: list[str] = []
    # Ticket-system connectors that receive the archived transcript (the built-in record is always kept).
    swarmbot_zendesk_url: str | None = None  # e.g. https://acme.zendesk.com
    swarmbot_zendesk_email: str | None = None
    swarmbot_zendesk_token: SecretStr | None = None
    swarmbot_zendesk_tag: str = "swarmbot-archived"
    swarmbot_webhook_url: str | None = None
    swarmbot_webhook_secret: SecretStr | None = None
    # Client-side pacing to Slack's per-method rate limits: "on", "off", or a number scaling the budgets.
    swarmbot_slack_pacing: str = "on"
    # Logs: "text" lines for people, "json" lines for a log pipeline.
    swarmbot_log_format: Literal["text", "json"] = "text"
    # How long after `/escalate resolve` the channel is archived (time for the review answers).
    swarmbot_archive_after: str = "10m"
    # The working calendar business-day durations (2bd) follow.
    swarmbot_working_days: str = "mon-fri"
    swarmbot_working_hours: str = "09:00-17:00"
    swarmbot_timezone: str = "UTC"
    swarmbot_holidays: str = ""  # comma-separated ISO dates

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        # slack-sdk joins the method name straight onto base_url.
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("redis_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("swarmbot_invitation_timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        from bot.durations import parse_duration

        if parse_duration(value).is_business_days:
            raise ValueError("use minutes or hours for SWARMBOT_INVITATION_TIMEOUT, like 15m")
        return value

    def skill_groups(self) -> dict[str, str]:
        """User-group handle → skill tag, from SWARMBOT_SKILL_GROUPS."""
        groups: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in self.swarmbot_skill_groups.split(","))):
            handle, _, tag = pair.partition("=")
            if not handle.strip() or not tag.strip():
                raise ConfigurationError(
                    f"SWARMBOT_SKILL_GROUPS: `{pair}` should look like `handle=tag` (e.g. dba=postgres)."
                )
            groups[handle.strip().lstrip("@").lower()] = tag.strip().lstrip("#").lower()
        return groups

    def escalation_managers(self) -> tuple[tuple[str, str], ...]:
        """(kind, name) pairs from SWARMBOT_ESCALATION_MANAGERS: ("usergroup", handle) or ("user", id)."""
        managers: list[tuple[str, str]] = []
        for item in filter(None, (part.strip() for part in self.swarmbot_escalation_managers.split(","))):
            kind, _, name = item.partition(":")
            if kind not in ("usergroup", "user") or not name:
                raise ConfigurationError(
                    f"SWARMBOT_ESCALATION_MANAGERS: `{item}` should be `usergroup:HANDLE` or `user:U123`."
                )
            managers.append((kind, name.lstrip("@")))
        return tuple(managers)

    def secrets(self) -> list[str]:
        """Every secret value set, so the logs can mask them."""
        held = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.swarmbot_zendesk_token,
            self.swarmbot_webhook_secret,
        )
        return [secret.get_secret_value() for secret in held if secret is not None]

    def bot_token(self) -> str:
        """The bot token, or a ConfigurationError that says how to set it."""
        if self.slack_bot_token is None or not self.slack_bot_token.get_secret_value():
            raise ConfigurationError("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…).")
        return self.slack_bot_token.get_secret_value()

    def signing_secret(self) -> str:
        """The signing secret, or a ConfigurationError that says how to set it."""
        if self.slack_signing_secret is None or not self.slack_signing_secret.get_secret_value():
            raise ConfigurationError("SLACK_SIGNING_SECRET is not set: copy it from Basic Information.")
        return self.slack_signing_secret.get_secret_value()

    def app_token(self) -> str:
        """The app-level token Socket Mode needs."""
        if self.slack_app_token is None or not self.slack_app_token.get_secret_value():
            raise ConfigurationError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) "
                "with the connections:write scope."
            )
        return self.slack_app_token.get_secret_value()


def async_database_url(url: str) -> str:
    """Accept the URLs operators paste (postgres://, postgresql://, sqlite:///) and pick the async drivers."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url
