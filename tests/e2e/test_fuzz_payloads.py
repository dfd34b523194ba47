"""Property-based: whatever signed event or interaction arrives, the app answers without a 5xx and without an
unhandled error; what it rejects, it explains.

The generated payloads follow Slack's shapes loosely: the right envelopes with missing fields, wrong types,
unknown ids, stale messages, other people's buttons and garbage values.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox import Sandbox
from bot.sandbox.cast import Cast
from bot.sandbox.signing import signed_headers
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.e2e.processes import serve_process

IDS = st.one_of(
    st.sampled_from(["U00000002", "U00000003", "C00000002", "C00000004", "D00000001"]), st.text(max_size=12)
)
TS = st.one_of(st.sampled_from(["1.000001", "0", "", "9999999999.999999"]), st.text(max_size=20))
ANY_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=30)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
ACTIONS = st.sampled_from(
    [
        "invitation_accept",
        "invitation_decline",
        "reminder_snooze",
        "reminder_post_update",
        "csat_3",
        "csat_add_comment",
        "unknown_action",
    ]
)
CALLBACKS = st.sampled_from(["status_update", "resolve", "csat_comment", "escalate", "unknown_view"])


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(None), strategy)


def drop_nones(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value is not None}


EVENTS = st.builds(
    lambda kind, user, channel, ts, reaction, item_type, extra: drop_nones(
        {
            "type": kind,
            "user": user,
            "reaction": reaction,
            "channel": channel,
            "item": drop_nones({"type": item_type, "channel": channel, "ts": ts})
            if item_type != "none"
            else None,
            "event_ts": ts,
            "extra": extra,
        }
    ),
    st.sampled_from(
        ["reaction_added", "reaction_removed", "member_joined_channel", "app_home_opened", "message"]
    ),
    maybe(IDS),
    maybe(IDS),
    maybe(TS),
    maybe(st.sampled_from(["raising_hand", "white_check_mark", "eyes", ""])),
    st.sampled_from(["message", "file", "none"]),
    maybe(ANY_VALUE),
)

BLOCK_ACTIONS = st.builds(
    lambda user, channel, ts, action, value, trigger: {
        "type": "block_actions",
        "user": drop_nones({"id": user}),
        "channel": drop_nones({"id": channel}),
        "message": drop_nones({"ts": ts}),
        "trigger_id": trigger,
        "actions": [drop_nones({"action_id": action, "value": value, "type": "button"})],
    },
    maybe(IDS),
    maybe(IDS),
    maybe(TS),
    ACTIONS,
    maybe(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                [
                    "1",
                    "1:4",
                    "0",
                    "999",
                    "999:3",
                    '{"swarm": 1, "at": "2026-11-23T15:00:00+00:00"}',
                    '{"swarm": 1, "at": "2026-11-23"}',
                    "x:y",
                ]
            ),
        )
    ),
    st.text(max_size=20),
)

VIEW_SUBMISSIONS = st.builds(
    lambda user, callback, metadata, values: {
        "type": "view_submission",
        "user": drop_nones({"id": user}),
        "view": {
            "id": "V1",
            "callback_id": callback,
            "private_metadata": metadata,
            "state": {"values": values},
        },
    },
    maybe(IDS),
    CALLBACKS,
    st.one_of(st.text(max_size=10), st.sampled_from(["1", "999", ""])),
    st.dictionaries(
        st.sampled_from(
            ["status", "impact", "next_steps", "next_update", "resolution", "root_cause", "comment"]
        ),
        st.fixed_dictionaries(
            {
                "value": st.one_of(
                    st.fixed_dictionaries({"value": st.one_of(st.none(), st.text(max_size=40))}),
                    st.fixed_dictionaries(
                        {
                            "selected_option": st.one_of(
                                st.none(), st.fixed_dictionaries({"value": st.text(max_size=8)})
                            )
                        }
                    ),
                    ANY_VALUE,
                )
            }
        ),
        max_size=5,
    ),
)


def send(url: str, body: bytes, content_type: str) -> int:
    headers = signed_headers(SIGNING_SECRET, body, timestamp=int(time.time()), content_type=content_type)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_signed_garbage_never_gets_a_5xx_or_an_unhandled_error(
    sandbox: Sandbox, cast: Cast, sqlite_template: Path, tmp_path: Path
):
    database = tmp_path / "fuzz.db"
    shutil.copyfile(sqlite_template, database)
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.api_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "",
        "SWARMBOT_LOG_FORMAT": "json",
    }
    log = tmp_path / "serve.log"
    with serve_process(env, log) as url:
        sandbox.request_url = url
        alice = cast.people["alice"]
        asyncio.run(
            sandbox.driver().slash_command(
                "/escalate", "ZD-1 sev2 outage Fuzz target", user_id=alice, channel_id=cast.support_channel
            )
        )

        @settings(max_examples=6000, deadline=None, suppress_health_check=list(HealthCheck))
        @given(payload=st.one_of(EVENTS, BLOCK_ACTIONS, VIEW_SUBMISSIONS))
        def answered_without_a_server_error(payload: dict[str, Any]) -> None:
            if payload["type"] in ("block_actions", "view_submission"):
                body = urlencode({"payload": json.dumps(payload)}).encode()
                status = send(url, body, "application/x-www-form-urlencoded")
            else:
                envelope = {
                    "type": "event_callback",
                    "team_id": "T0SANDBOX",
                    "api_app_id": sandbox.app_id,
                    "event_id": f"Ev{time.monotonic_ns()}",
                    "event_time": int(time.time()),
                    "event": payload,
                    "authorizations": [
                        {"team_id": "T0SANDBOX", "user_id": sandbox.bot_user_id, "is_bot": True}
                    ],
                }
                status = send(url, json.dumps(envelope).encode(), "application/json")
            assert status < 500, payload

        answered_without_a_server_error()
        time.sleep(1)  # work after the ack finishes
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    unhandled = [line for line in lines if "unhandled error" in line["message"]]
    assert unhandled == [], unhandled[:3]
