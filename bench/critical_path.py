"""The critical path of a swarm's Web API calls, from the sandbox's call log.

A call must wait for an earlier one when it needs that one's answer, or when the order is the point:

- anything naming a channel the bot created (its id in `channel`, or a `<#C…>` link in a text) waits for
  that conversations.create;
- a call in a direct-message channel waits for the conversations.open that returned it;
- pins.add / chat.update / reactions.add on a message wait for the chat.postMessage that returned its ts;
- in a channel the bot created, each chat.postMessage waits for the one before (a channel reads top down,
  and Slack orders messages as they arrive, so the next post is sent once the last one is answered);
- an expert's direct message that links the swarm channel waits for the conversations.invite of that
  channel (experts are told once they are in it);
- usergroups.users.list waits for usergroups.list (it needs the group's id), and conversations.invite
  waits for both (role holders from user groups are invited).

Every call costs the latency the sandbox adds to it; the critical path is the longest chain. With Slack's
limits, `paced_schedule` also lets each call start only when its budget (bot.slack.pacing's buckets, the
same tiers the sandbox enforces) has a token, taking calls in the order they were made.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.slack.pacing import reserve, slot_for


@dataclass(frozen=True)
class Call:
    """One successful Web API call from the sandbox's log; `end` is when its answer was ready."""

    index: int
    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    end: float

    @property
    def channel(self) -> str:
        return str(self.args.get("channel") or "")

    def label(self) -> str:
        where = f" {self.channel}" if self.channel else ""
        return f"{self.method}{where}"


# What a swarm causes rather than what makes it: App Home refreshes of the people in it.
AFTER_EFFECTS = frozenset({"views.publish"})


def bot_calls(
    log: Iterable[dict[str, Any]],
    *,
    since: float = 0.0,
    until: float = math.inf,
    after_effects: bool = False,
) -> list[Call]:
    """The bot's answered calls (429s and errors left out, AFTER_EFFECTS too unless asked for) that ended
    within [since, until]."""
    calls = [
        Call(n, c["method"], dict(c["args"]), dict(c["response"]), float(c["at"]))
        for n, c in enumerate(log)
        if c["token_kind"] == "bot"
        and c["status"] == 200
        and (after_effects or c["method"] not in AFTER_EFFECTS)
        and since <= c["at"] <= until
    ]
    return calls


def dependencies(calls: Sequence[Call]) -> dict[int, set[int]]:
    """For each call (by position in `calls`), the positions of the calls it must wait for."""
    created: dict[str, int] = {}
    opened: dict[str, int] = {}
    posted: dict[tuple[str, str], int] = {}
    last_post: dict[str, int] = {}
    invited: dict[str, int] = {}
    groups_listed: int | None = None
    members_listed: list[int] = []
    deps: dict[int, set[int]] = defaultdict(set)
    for n, call in enumerate(calls):
        text = json.dumps(call.args)
        for channel, creator in created.items():
            if channel == call.channel or channel in text:
                deps[n].add(creator)
        if call.channel in opened:
            deps[n].add(opened[call.channel])
        stamp = str(call.args.get("timestamp") or call.args.get("ts") or "")
        if stamp and (call.channel, stamp) in posted:
            deps[n].add(posted[(call.channel, stamp)])
        if call.method == "chat.postMessage":
            if call.channel in created and call.channel in last_post:
                deps[n].add(last_post[call.channel])
            if call.channel in opened:
                deps[n].update(invited[c] for c in invited if c in text)
        if call.method == "usergroups.users.list" and groups_listed is not None:
            deps[n].add(groups_listed)
        if call.method == "conversations.invite":
            deps[n].update(members_listed)
            if groups_listed is not None:
                deps[n].add(groups_listed)
        # What this call's answer makes possible for later calls.
        if call.method == "conversations.create":
            created[str(call.response["channel"]["id"])] = n
        elif call.method == "conversations.open":
            opened[str(call.response["channel"]["id"])] = n
        elif call.method == "chat.postMessage":
            posted[(call.channel, str(call.response.get("ts")))] = n
            last_post[call.channel] = n
        elif call.method == "conversations.invite":
            invited[call.channel] = n
        elif call.method == "usergroups.list":
            groups_listed = n
        elif call.method == "usergroups.users.list":
            members_listed.append(n)
    return deps


@dataclass
class Path:
    """The longest chain of calls and what it costs at `latency` a call."""

    calls: list[Call]
    latency: float
    depth: dict[int, int] = field(default_factory=dict)  # position → calls on the longest chain ending there

    @property
    def seconds(self) -> float:
        return len(self.calls) * self.latency

    def summary(self) -> str:
        """`conversations.create → chat.postMessage C1 ×12 → pins.add C1` (runs folded)."""
        parts: list[tuple[str, int]] = []
        for call in self.calls:
            label = call.label()
            if parts and parts[-1][0] == label:
                parts[-1] = (label, parts[-1][1] + 1)
            else:
                parts.append((label, 1))
        return " → ".join(f"{label} ×{count}" if count > 1 else label for label, count in parts)


def critical_path(calls: Sequence[Call], *, latency: float) -> Path:
    """The longest dependency chain (each call costing `latency`)."""
    deps = dependencies(calls)
    depth: dict[int, int] = {}
    previous: dict[int, int | None] = {}
    for n in range(len(calls)):
        best = max(deps.get(n, set()), key=lambda d: depth[d], default=None)
        depth[n] = 1 + (depth[best] if best is not None else 0)
        previous[n] = best
    if not calls:
        return Path([], latency)
    last: int | None = max(depth, key=lambda n: (depth[n], -n))
    chain: list[Call] = []
    while last is not None:
        chain.append(calls[last])
        last = previous[last]
    return Path(list(reversed(chain)), latency, depth)


@dataclass
class Schedule:
    """When each call could have ended at the earliest, given its dependencies and Slack's budgets."""

    ends: list[float]
    start: float

    @property
    def makespan(self) -> float:
        return (max(self.ends) if self.ends else self.start) - self.start


def paced_schedule(
    calls: Sequence[Call],
    *,
    start: float,
    latency: float,
    scale: float = 1.0,
    before: Iterable[Call] = (),
) -> Schedule:
    """Calls taken in the order they were made, each as early as its dependencies and its budget allow.

    `before` are earlier calls (a warm-up): they spend budget at the times they really ran.
    """
    tats: dict[str, float] = {}
    for call in before:
        slot = slot_for(call.method, call.channel or None, scale=scale)
        asked = call.end - latency
        _, tats[slot.key] = reserve(tats.get(slot.key, asked), asked, slot)
    deps = dependencies(calls)
    ends: list[float] = []
    for n, call in enumerate(calls):
        ready = max((ends[d] for d in deps.get(n, set())), default=start)
        slot = slot_for(call.method, call.channel or None, scale=scale)
        begin, tats[slot.key] = reserve(tats.get(slot.key, ready), ready, slot)
        ends.append(begin + latency)
    return Schedule(ends, start)


@dataclass(frozen=True)
class BucketBound:
    """The least time one budget needs for its calls: its burst at once, the rest one interval apart."""

    key: str
    calls: int
    burst: int
    interval: float
    first_depth: int  # calls that must precede the first of these (dependency depth)

    def seconds(self, latency: float) -> float:
        return self.first_depth * latency + max(0, self.calls - self.burst) * self.interval + latency


def bucket_bounds(calls: Sequence[Call], *, scale: float = 1.0) -> list[BucketBound]:
    """Each budget's own lower bound, most binding first."""
    path = critical_path(calls, latency=0.0)
    grouped: dict[str, list[int]] = defaultdict(list)
    slots = {}
    for n, call in enumerate(calls):
        slot = slot_for(call.method, call.channel or None, scale=scale)
        grouped[slot.key].append(n)
        slots[slot.key] = slot
    bounds = [
        BucketBound(
            key=key,
            calls=len(members),
            burst=round(slots[key].tolerance / slots[key].interval) + 1,
            interval=slots[key].interval,
            first_depth=min(path.depth[n] for n in members) - 1,
        )
        for key, members in grouped.items()
    ]
    return sorted(bounds, key=lambda b: b.seconds(0.1), reverse=True)


def observed_chain(calls: Sequence[Call], *, latency: float, start: float) -> list[Call]:
    """The calls the app really ran one after another to finish when it did, traced back from the last.

    Each call began `latency` before its answer; the call before it on the chain is the one whose answer
    came last before that moment (what the app was waiting for); a dependency, when one came within 30 ms
    of that.
    """
    if not calls:
        return []
    deps = dependencies(calls)
    position = {id(call): n for n, call in enumerate(calls)}
    chain = [max(calls, key=lambda call: call.end)]
    while True:
        began = chain[-1].end - latency
        earlier = [call for call in calls if call.end <= began + 0.002 and call is not chain[-1]]
        if not earlier or began <= start:
            break
        latest = max(call.end for call in earlier)
        together = [call for call in earlier if call.end >= latest - 0.03]
        needed = [call for call in together if position[id(call)] in deps.get(position[id(chain[-1])], ())]
        chain.append(max(needed or together, key=lambda call: call.end))
    return list(reversed(chain))


def fold(calls: Sequence[Call]) -> str:
    """`conversations.create → chat.postMessage #swarm ×12 → pins.add #swarm` (runs folded)."""
    created = {str(c.response["channel"]["id"]) for c in calls if c.method == "conversations.create"}
    labels: list[tuple[str, int]] = []
    for call in calls:
        channel = call.channel
        where = "#swarm" if channel in created or channel.startswith("C0") else channel
        where = "DM" if channel.startswith("D") else where
        label = f"{call.method} {where}".strip()
        if labels and labels[-1][0] == label:
            labels[-1] = (label, labels[-1][1] + 1)
        else:
            labels.append((label, 1))
    return " → ".join(f"{label} ×{count}" if count > 1 else label for label, count in labels)
