"""The driver: what Slack sends to an app — signed (or mis-signed) HTTP requests, or Socket Mode envelopes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from . import interactions as ix
from . import payloads
from .errors import SandboxError
from .escaping import command_text
from .events import Attempt, send
from .methods.views import new_view
from .responses import apply_response
from .signing import signed_headers
from .state import ResponseUrl

if TYPE_CHECKING:
    from .sandbox import Sandbox

FORM = "application/x-www-form-urlencoded"
ENVELOPE_TYPES = {"event": "events_api", "slash_command": "slash_commands"}  # the rest: "interactive"


@dataclass
class DriverResponse:
    """The app's answer to one request."""

    status: int | None
    headers: dict[str, str]
    body: str
    json: Any | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    failure: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    transport: str = "http"  # "socket": `status` is 200 once acked, `body`/`json` are the ack's payload
    envelope_id: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the app answered 2xx (or acked the envelope)."""
        return self.status is not None and 200 <= self.status < 300


class Driver:
    """Slack's requests to the app: over Socket Mode when it is on, else signed HTTP POSTs.

    Forge HTTP requests with `signature="bad"`, `timestamp_offset=-600` or `secret=`; Socket Mode
    envelopes are never signed, so forging one raises `SandboxError`.
    """

    def __init__(self, sandbox: Sandbox, *, request_url: str | None = None, timeout: float = 10.0) -> None:
        self.sb = sandbox
        self._request_url = request_url
        self.timeout = timeout

    @property
    def request_url(self) -> str:
        """Where requests go: the driver's own URL, else the sandbox's."""
        url = self._request_url or self.sb.request_url
        if not url:
            raise SandboxError("no request_url: set sandbox.request_url or pass request_url to the driver")
        return url

    async def _send(
        self,
        kind: str,
        payload: dict[str, Any],
        body: bytes,
        content_type: str,
        *,
        signature: str | None = None,
        timestamp_offset: int = 0,
        secret: str | None = None,
        extra_headers: dict[str, str] | None = None,
        retry_num: int = 0,
        retry_reason: str | None = None,
    ) -> DriverResponse:
        if self.sb.socket_mode:
            if signature is not None or timestamp_offset or secret is not None or extra_headers:
                raise SandboxError(
                    "Slack does not sign Socket Mode envelopes: signature=, timestamp_offset=, secret= and "
                    "extra_headers= apply only to HTTP requests"
                )
            return await self._envelope(kind, payload, retry_num=retry_num, retry_reason=retry_reason)
        headers = signed_headers(
            secret or self.sb.signing_secret,
            body,
            timestamp=int(time.time()) + timestamp_offset,
            content_type=content_type,
            forged_signature=signature,
        )
        headers.update(extra_headers or {})
        if retry_num:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or ""})
        async with aiohttp.ClientSession() as session:
            attempt = await send(session, self.request_url, body, headers, self.timeout)
        self.sb.bus.record(
            kind=kind, payload=payload, headers=headers, attempt=attempt, retry_num=retry_num, sent=True
        )
        return _response(attempt, payload)

    async def _envelope(
        self, kind: str, payload: dict[str, Any], *, retry_num: int, retry_reason: str | None
    ) -> DriverResponse:
        envelope_type = ENVELOPE_TYPES.get(kind, "interactive")
        retry = envelope_type == "events_api"
        attempt = await self.sb.run_in_loop(
            lambda: self.sb.socket.deliver(
                envelope_type,
                payload,
                timeout=self.timeout,
                retry_attempt=retry_num if retry else None,
                retry_reason=retry_reason or "",
            )
        )
        self.sb.bus.record(
            kind=kind,
            payload=payload,
            headers={},
            attempt=attempt,
            retry_num=retry_num,
            sent=attempt.connection is not None,
            retry_reason=retry_reason,
        )
        return _response(attempt, payload)

    async def url_verification(self, challenge: str = "sandbox-challenge", **forge: Any) -> DriverResponse:
        """The request Slack sends when a request URL is saved; the app must echo `challenge`."""
        if self.sb.socket_mode:
            raise SandboxError("Slack sends url_verification only to request URLs, never over Socket Mode")
        payload = {"token": payloads.VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return await self._send(
            "url_verification", payload, json.dumps(payload).encode(), "application/json", **forge
        )

    async def slash_command(
        self,
        command: str,
        text: str = "",
        *,
        user_id: str,
        channel_id: str,
        escape: bool | None = None,
        **forge: Any,
    ) -> DriverResponse:
        """A slash command, form-encoded, with a fresh trigger_id and a response_url the sandbox serves."""
        spec = self.sb.manifest.commands.get(command)
        if spec is None and self.sb.manifest.source is not None:
            raise SandboxError(f"{command} is not a slash command of {self.sb.manifest.source}")
        should_escape = escape if escape is not None else bool(spec and spec.should_escape)
        ws = self.sb.ws
        with ws.lock:
            user, channel = ws.users.get(user_id), ws.channels.get(channel_id)
            if user is None or channel is None:
                raise SandboxError(f"unknown user {user_id} or channel {channel_id}")
            escaped = command_text(ws, text, should_escape=should_escape)
            channel_name = "directmessage" if channel.is_im else channel.name
        trigger_id = self.sb.register_trigger(user_id)
        response_url = self.sb.register_response_url(user=user_id, channel=channel_id, source="slash_command")
        form = {
            "token": payloads.VERIFICATION_TOKEN,
            "team_id": ws.team_id,
            "team_domain": ws.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user.name,
            "command": command,
            "text": escaped,
            "api_app_id": ws.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        result = await self._send("slash_command", form, urlencode(form).encode(), FORM, **forge)
        result.trigger_id, result.response_url = trigger_id, response_url
        if (
            result.ok
            and isinstance(result.json, dict)
            and (result.json.get("text") or result.json.get("blocks"))
        ):
            await self._immediate_answer(user_id, channel_id, result.json)
        return result

    async def _immediate_answer(self, user_id: str, channel_id: str, answer: dict[str, Any]) -> None:
        # A JSON body in the command's HTTP answer is shown like a response_url post (ephemeral by default).
        url = ResponseUrl(
            token="",
            user=user_id,
            channel=channel_id,
            created=self.sb.config.clock(),
            source="command_response",
        )

        async def apply() -> None:
            with self.sb.ws.lock:
                ctx = self.sb.server.bot_context()
                apply_response(ctx, url, answer)
                futures = self.sb.server.publish(ctx)
            for future in futures:
                await future

        await self.sb.run_in_loop(apply)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        **forge: Any,
    ) -> DriverResponse:
        """One Events API callback in Slack's envelope (optionally marked as a retry)."""
        with self.sb.ws.lock:
            envelope = self.sb.bus.envelope({"event_ts": self.sb.svc.ts.next(), **event})
        if event_id:
            envelope["event_id"] = event_id
        if retry_num and not retry_reason:
            retry_reason = "timeout" if self.sb.socket_mode else "http_timeout"
        body = json.dumps(envelope).encode()
        return await self._send(
            "event",
            envelope,
            body,
            "application/json",
            retry_num=retry_num or 0,
            retry_reason=retry_reason,
            **forge,
        )

    async def _interaction(self, kind: str, payload: dict[str, Any], **forge: Any) -> DriverResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send(kind, payload, body, FORM, **forge)

    async def block_action(
        self,
        user_id: str,
        *,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        action_type: str = "button",
        action: dict[str, Any] | None = None,
        **forge: Any,
    ) -> DriverResponse:
        """A click (or selection) on an interactive element of a message or a view."""
        trigger_id = self.sb.register_trigger(user_id)
        with self.sb.ws.lock:
            payload = payloads.block_actions(
                self.sb.ws,
                user_id=user_id,
                trigger_id=trigger_id,
                action_ts=self.sb.svc.ts.next(),
                action_id=action_id,
                value=value,
                block_id=block_id,
                channel_id=channel_id,
                message_ts=message_ts,
                view_id=view_id,
                action_type=action_type,
                action=action,
            )
        response_url = None
        if not view_id:
            response_url = self.sb.register_response_url(
                user=user_id, channel=channel_id, source="block_actions", message_ts=message_ts
            )
            payload["response_url"] = response_url
        result = await self._interaction("block_actions", payload, **forge)
        result.trigger_id, result.response_url = trigger_id, response_url
        return result

    async def view_submission(
        self, user_id: str, view_id: str, values: dict[str, Any] | None = None, **forge: Any
    ) -> DriverResponse:
        """The user presses a modal's submit button; the app's answer (response_action) is applied."""
        ws = self.sb.ws
        trigger_id = self.sb.register_trigger(user_id)
        with ws.lock:
            view = ws.views.get(view_id)
            if view is None or view.user != user_id or not view.is_open:
                raise SandboxError(f"{user_id} has no open view {view_id}")
            view.state_values = ix.state_values(view, values or {})
            payload = payloads.view_submission(ws, view, user_id=user_id, trigger_id=trigger_id)
        result = await self._interaction("view_submission", payload, **forge)
        result.trigger_id = trigger_id
        if result.ok:
            with ws.lock:
                ctx = self.sb.server.bot_context()
                stack = ws.modal_stacks.get(user_id, [])

                def push(body: Any) -> str:
                    return new_view(ctx, user_id, body, root=stack[0], previous=stack[-1]).id

                ix.apply_view_answer(ws, view, result.json, new_view=push)
        return result

    async def message_shortcut(
        self, user_id: str, callback_id: str, channel_id: str, message_ts: str, **forge: Any
    ) -> DriverResponse:
        """A message shortcut ("Escalate this message") chosen on a message."""
        trigger_id = self.sb.register_trigger(user_id)
        response_url = self.sb.register_response_url(
            user=user_id, channel=channel_id, source="message_action", message_ts=message_ts
        )
        with self.sb.ws.lock:
            payload = payloads.message_action(
                self.sb.ws,
                user_id=user_id,
                trigger_id=trigger_id,
                action_ts=self.sb.svc.ts.next(),
                callback_id=callback_id,
                channel_id=channel_id,
                message_ts=message_ts,
                response_url=response_url,
            )
        result = await self._interaction("message_action", payload, **forge)
        result.trigger_id, result.response_url = trigger_id, response_url
        return result


def _response(attempt: Attempt, payload: dict[str, Any]) -> DriverResponse:
    try:
        parsed = json.loads(attempt.body) if attempt.body else None
    except json.JSONDecodeError:
        parsed = None
    return DriverResponse(
        status=attempt.status,
        headers=attempt.headers,
        body=attempt.body,
        json=parsed,
        failure=attempt.failure,
        payload=payload,
        transport=attempt.transport,
        envelope_id=attempt.envelope_id,
    )
