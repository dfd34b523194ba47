"""Expert invitations: the DM with Accept / Decline, the answer, the next candidate, `/escalate add`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import timeline
from bot.clock import Clock
from bot.concurrency import all_finished
from bot.errors import PermissionDenied, UserError
from bot.expert_ranking import ExpertSelection
from bot.experts import ExpertDirectory
from bot.fallbacks import Fallbacks
from bot.participants import ensure_participant
from bot.records import affected, record
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.swarm_views import InvitationView, SwarmView, load_swarm_view
from storage.db import SessionFactory
from storage.models import Invitation, Participant, Swarm

ANSWERABLE = ("chosen", "invited")


def describe(delta: timedelta) -> str:
    """`42s`, `3m`, `1h 5m`: how long something took, for people."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    return f"{minutes}m" if minutes < 60 else f"{minutes // 60}h {minutes % 60}m"


@dataclass(frozen=True)
class Gap:
    """A skill nobody new was pulled in for: covered by someone already there, or nobody fits (why)."""

    skill: str
    why: str
    covered_by: tuple[str, ...] = ()


def gaps_of(selection: ExpertSelection) -> list[Gap]:
    """The skills of `selection` that found nobody new: covered ones name who covers them."""
    gaps: list[Gap] = []
    for pick in selection.picks:
        if pick.nobody_fits is None:
            continue
        covering = tuple(expert.slack_id for expert in pick.covered_by)
        gaps.append(Gap(pick.skill, pick.nobody_fits, covering))
    return gaps


async def gap_row(gap: Gap, fallbacks: Fallbacks) -> dict[str, object]:
    """What the experts note says about a gap; only a real gap notifies anyone."""
    if gap.covered_by:
        return {"skill": gap.skill, "covered_by": list(gap.covered_by), "why": "", "notified": ""}
    return {
        "skill": gap.skill,
        "covered_by": [],
        "why": gap.why,
        "notified": await fallbacks.for_skill(gap.skill),
    }


# Message metadata on each invitation DM, so a resumed build finds one it sent but never recorded.
INVITATION_EVENT = "swarmbot_invitation"


class Invitations:
    """Asks experts to join and acts on their answers."""

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        gateway: SlackGateway,
        clock: Clock,
        directory: ExpertDirectory,
        fallbacks: Fallbacks,
        timeout_text: str,
        on_invited: Callable[[int], Awaitable[None]],
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._directory = directory
        self._fallbacks = fallbacks
        self._timeout_text = timeout_text
        self._on_invited = on_invited  # starts the answer timeouts of a swarm's new invitations

    async def send_dms(self, view: SwarmView) -> None:
        """DM every invited expert of the swarm who has not had the DM yet."""
        async with self._sessions() as session:
            pending = (
                await session.scalars(
                    select(Invitation).where(
                        Invitation.swarm_id == view.id,
                        Invitation.status == "invited",
                        Invitation.dm_ts.is_(None),
                    )
                )
            ).all()
        # Each expert's conversations.open → chat.postMessage is its own chain; the chains run together.
        await all_finished(*(self._send_dm(view, invitation) for invitation in pending))

    async def _send_dm(self, view: SwarmView, invitation: Invitation) -> None:
        channel = invitation.dm_channel
        again = channel is not None  # an earlier attempt got this far: its DM may be out but unrecorded
        if channel is None:
            channel = await self._gateway.open_dm(invitation.user_id)
            # Recorded before the post: a process dying after it leaves the channel to look in.
            await record(self._sessions, Invitation, invitation.id, dm_channel=channel)
        message = render(
            "messages/expert_invitation",
            swarm=view,
            invitation=_view(invitation),
            timeout=self._timeout_text,
        )
        ts = await self._gateway.post_once(
            channel,
            **message,
            event_type=INVITATION_EVENT,
            payload={"invitation": invitation.id},
            again=again,
        )
        await record(self._sessions, Invitation, invitation.id, dm_ts=ts)

    async def answer(self, invitation_id: int, user_id: str, *, accept: bool) -> None:
        """Accept or decline an invitation; a decline pulls in the next candidate for the skill."""
        now = self._clock.now()
        async with self._sessions() as session:
            invitation = await session.get(Invitation, invitation_id)
            if invitation is None:
                raise UserError("That invitation no longer exists.")
            if invitation.user_id != user_id:
                raise PermissionDenied(f"This invitation is for <@{invitation.user_id}>, not for you.")
            swarm = await session.get_one(Swarm, invitation.swarm_id)
            if swarm.status == "resolved":
                raise UserError("That swarm is already resolved: there is nothing to join.")
            status = "accepted" if accept else "declined"
            # Compare-and-set: a double click or two processes answer once.
            changed = await session.execute(
                update(Invitation)
                .where(Invitation.id == invitation_id, Invitation.status.in_(ANSWERABLE))
                .values(status=status, answered_at=now)
            )
            if affected(changed) != 1:
                raise UserError(f"You already answered this invitation ({invitation.status}).")
            waited = describe(now - invitation.invited_at)
            first = accept and not await _anyone_accepted(session, swarm.id, invitation_id)
            timeline.record(
                session,
                ticket_pk=swarm.ticket_pk,
                swarm_id=swarm.id,
                kind=f"expert_{status}",
                at=now,
                actor=user_id,
                skill=invitation.skill,
                seconds=(now - invitation.invited_at).total_seconds(),
                first_expert=first,
            )
            if accept:
                await ensure_participant(session, swarm_id=swarm.id, user_id=user_id, role="expert", at=now)
            await session.commit()
        await self._after_answer(invitation_id, waited)

    async def expire(self, invitation_id: int) -> None:
        """No answer in time: treat like a decline and pull in the next candidate."""
        now = self._clock.now()
        async with self._sessions() as session:
            changed = await session.execute(
                update(Invitation)
                .where(Invitation.id == invitation_id, Invitation.status.in_(ANSWERABLE))
                .values(status="expired", answered_at=now)
            )
            await session.commit()
        if affected(changed) == 1:
            await self._after_answer(invitation_id, "")

    async def _after_answer(self, invitation_id: int, waited: str) -> None:
        async with self._sessions() as session:
            invitation = await session.get_one(Invitation, invitation_id)
            view = await load_swarm_view(session, invitation.swarm_id)
        dm_ts = invitation.dm_ts
        if invitation.dm_channel and dm_ts is None:
            # Answered from a DM posted a moment ago whose ts is not recorded yet: find it by its tag.
            dm_ts = await self._gateway.find_message_with_metadata(
                invitation.dm_channel, event_type=INVITATION_EVENT, payload={"invitation": invitation.id}
            )
        if invitation.dm_channel and dm_ts:
            await self._gateway.update_message(
                invitation.dm_channel,
                dm_ts,
                **render("messages/invitation_answered", swarm=view, invitation=_view(invitation)),
            )
        replacement: InvitationView | None = None
        gap = ""
        if invitation.status != "accepted":
            added, gaps = await self._pull_in(view, [invitation.skill])
            replacement = added[0] if added else None
            if gaps and gaps[0].covered_by:
                covering = ", ".join(f"<@{user}>" for user in gaps[0].covered_by)
                gap = f"#{invitation.skill} stays covered by {covering}."
            elif gaps:
                notified = await self._fallbacks.for_skill(invitation.skill)
                gap = f"Nobody else fits: {gaps[0].why}" + (f"; notified {notified}." if notified else ".")
        assert view.channel_id is not None
        note = render(
            "messages/expert_answer_note",
            invitation=_view(invitation),
            next=replacement,
            elapsed=waited,
            gap=gap,
        )
        await self._gateway.post_message(view.channel_id, **note)

    async def add_experts(
        self, view: SwarmView, skills: Sequence[str]
    ) -> tuple[list[InvitationView], list[Gap]]:
        """`/escalate add #skill`: pull in more people for `skills` and say who and why in the channel."""
        added, gaps = await self._pull_in(view, skills)
        assert view.channel_id is not None
        pulled = [{"user": i.user_id, "skill": i.skill, "reason": i.reason} for i in added]
        nobody = [await gap_row(g, self._fallbacks) for g in gaps]
        await self._gateway.post_message(
            view.channel_id, **render("messages/experts_pulled_in", pulled=pulled, nobody=nobody)
        )
        return added, gaps

    async def _pull_in(
        self, view: SwarmView, skills: Sequence[str]
    ) -> tuple[list[InvitationView], list[Gap]]:
        """Choose, record, invite and DM the next people for `skills` (never anyone asked before)."""
        async with self._sessions() as session:
            asked = await _everyone_in(session, view.id)
            gone = set(
                (
                    await session.scalars(
                        select(Invitation.user_id).where(
                            Invitation.swarm_id == view.id, Invitation.status.in_(("declined", "expired"))
                        )
                    )
                ).all()
            )
        # Everyone asked before is excluded (nobody is asked twice), but only those still here cover a skill.
        selection = await self._directory.choose(list(skills), severity=view.severity, exclude=asked)
        now = self._clock.now()
        created: list[Invitation] = []
        async with self._sessions() as session:
            for pick in selection.picks:
                for expert in pick.chosen:
                    invitation = Invitation(
                        swarm_id=view.id,
                        user_id=expert.slack_id,
                        skill=pick.skill,
                        reason=expert.reason,
                        status="chosen",
                        invited_at=now,
                    )
                    session.add(invitation)
                    created.append(invitation)
            await self._directory.mark_engaged(session, [i.user_id for i in created], now)
            await session.commit()
        if created:
            assert view.channel_id is not None
            await self._gateway.invite(view.channel_id, [i.user_id for i in created])
            for invitation in created:
                await record(self._sessions, Invitation, invitation.id, status="invited")
                invitation.status = "invited"
                await self._send_dm(view, invitation)
            await self._on_invited(view.id)
        gaps = []
        for gap in gaps_of(selection):
            covering = tuple(user for user in gap.covered_by if user not in gone)
            why = gap.why if covering or not gap.covered_by else f"nobody else with #{gap.skill} is available"
            gaps.append(Gap(gap.skill, why, covering))
        return [_view(i) for i in created], gaps


async def _anyone_accepted(session: AsyncSession, swarm_id: int, other_than: int) -> bool:
    found = await session.scalar(
        select(Invitation.id).where(
            Invitation.swarm_id == swarm_id, Invitation.status == "accepted", Invitation.id != other_than
        )
    )
    return found is not None


async def _everyone_in(session: AsyncSession, swarm_id: int) -> set[str]:
    invited = (await session.scalars(select(Invitation.user_id).where(Invitation.swarm_id == swarm_id))).all()
    joined = (
        await session.scalars(select(Participant.user_id).where(Participant.swarm_id == swarm_id))
    ).all()
    return set(invited) | set(joined)


def _view(invitation: Invitation) -> InvitationView:
    return InvitationView(
        invitation.id, invitation.user_id, invitation.skill, invitation.reason, invitation.status
    )
