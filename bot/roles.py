"""Roles: assigned at open as the playbook says, claimed by :raising_hand:, handed off by `/escalate role`."""

from __future__ import annotations

from sqlalchemy import select, update

from bot import timeline
from bot.clock import Clock
from bot.errors import InvalidCommand, PermissionDenied, UserError
from bot.participants import ensure_participant
from bot.permissions import Permissions
from bot.records import affected
from bot.rendering import render
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import escape
from bot.swarm_builder import swarm_topic
from bot.swarm_views import RoleView, SwarmView, load_swarm_view
from storage.db import SessionFactory
from storage.models import RoleAssignment, Swarm

# Account-team roles a playbook's stakeholders section notifies: assignable even if no playbook role.
STAKEHOLDER_TITLES = {"csm": "Customer success manager", "account_exec": "Account executive"}


class Roles:
    """The role service."""

    def __init__(
        self, *, sessions: SessionFactory, gateway: SlackGateway, clock: Clock, permissions: Permissions
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._clock = clock
        self._permissions = permissions

    async def assign(self, swarm: SwarmView, role_key: str, user_id: str, *, by: str) -> RoleView:
        """Give `role_key` to `user_id` (a hand-off when someone holds it), with the permission check."""
        _must_be_open(swarm)
        role = next((r for r in swarm.roles if r.key == role_key), None)
        if role is None:
            if role_key not in STAKEHOLDER_TITLES:
                known = ", ".join(f"`{r.key}`" for r in swarm.roles) or "none"
                raise InvalidCommand(f"This swarm has no role `{role_key}`.", hint=f"Its roles: {known}.")
            role = RoleView(role_key, STAKEHOLDER_TITLES[role_key], "assigned", None)
        await self._permissions.assign_role(swarm, role, by)
        if role.holder == user_id:
            raise UserError(f"<@{user_id}> already holds *{escape(role.title)}*.")
        now = self._clock.now()
        async with self._sessions() as session:
            row = await session.scalar(
                select(RoleAssignment).where(
                    RoleAssignment.swarm_id == swarm.id, RoleAssignment.role_key == role_key
                )
            )
            if row is None:
                row = RoleAssignment(swarm_id=swarm.id, role_key=role_key, title=role.title, fill="assigned")
                session.add(row)
            row.user_id, row.assigned_at = user_id, now
            if role_key == "commander":
                await session.execute(update(Swarm).where(Swarm.id == swarm.id).values(commander=user_id))
            await ensure_participant(session, swarm_id=swarm.id, user_id=user_id, role="member", at=now)
            await timeline.record_for_swarm(
                session,
                swarm.id,
                "role_assigned",
                at=now,
                actor=by,
                role=role_key,
                to=user_id,
                was=role.holder,
            )
            await session.commit()
        await self._announce(swarm, role, user_id, by)
        return RoleView(role.key, role.title, role.fill, user_id)

    async def find_open(self, swarm_id: int, message_ts: str) -> RoleView | None:
        """The role whose claim message is `message_ts`, if any."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(RoleAssignment).where(
                    RoleAssignment.swarm_id == swarm_id, RoleAssignment.message_ts == message_ts
                )
            )
        return RoleView(row.role_key, row.title, row.fill, row.user_id, row.message_ts) if row else None

    async def claim(self, swarm: SwarmView, role: RoleView, user_id: str) -> bool:
        """:raising_hand: on an open role's message: the first person gets it."""
        _must_be_open(swarm)
        assert swarm.channel_id is not None
        if not await self._gateway.is_member(swarm.channel_id, user_id):
            raise PermissionDenied(
                f"Join <#{swarm.channel_id}> first: only people in the swarm can take a role."
            )
        now = self._clock.now()
        async with self._sessions() as session:
            claimed = await session.execute(
                update(RoleAssignment)
                .where(
                    RoleAssignment.swarm_id == swarm.id,
                    RoleAssignment.role_key == role.key,
                    RoleAssignment.user_id.is_(None),
                )
                .values(user_id=user_id, assigned_at=now)
            )
            if affected(claimed) != 1:
                holder = await session.scalar(
                    select(RoleAssignment.user_id).where(
                        RoleAssignment.swarm_id == swarm.id, RoleAssignment.role_key == role.key
                    )
                )
                raise UserError(f"*{escape(role.title)}* is already taken by <@{holder}>.")
            if role.key == "commander":
                await session.execute(update(Swarm).where(Swarm.id == swarm.id).values(commander=user_id))
            await ensure_participant(session, swarm_id=swarm.id, user_id=user_id, role="member", at=now)
            await timeline.record_for_swarm(
                session, swarm.id, "role_claimed", at=now, actor=user_id, role=role.key
            )
            await session.commit()
        await self._announce(swarm, role, user_id, user_id)
        return True

    async def _announce(self, swarm: SwarmView, role: RoleView, user_id: str, by: str) -> None:
        assert swarm.channel_id is not None
        title = escape(role.title)
        if role.holder:
            line = f"*{title}* handed from <@{role.holder}> to <@{user_id}> by <@{by}>."
        elif by == user_id:
            line = f"<@{user_id}> took *{title}*."
        else:
            line = f"<@{by}> gave *{title}* to <@{user_id}>."
        if by != user_id:  # someone claiming by reaction is already in the channel
            await self._gateway.invite(swarm.channel_id, [user_id])
        await self._gateway.post_message(swarm.channel_id, **render("messages/notice", line=line))
        if role.message_ts:
            holder_view = RoleView(role.key, role.title, role.fill, user_id, role.message_ts)
            await self._gateway.update_message(
                swarm.channel_id,
                role.message_ts,
                **render("messages/role_open", role=holder_view, description=""),
            )
        if role.key == "commander":
            async with self._sessions() as session:
                updated = await load_swarm_view(session, swarm.id)
            await self._gateway.set_topic(swarm.channel_id, swarm_topic(updated))


def _must_be_open(swarm: SwarmView) -> None:
    if swarm.status == "resolved":
        raise UserError(f"{swarm.ticket_id} is resolved: its roles can no longer change.")
