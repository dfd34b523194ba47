"""Who hears about it when nobody fits: the skill's user group, else the escalation managers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.slack.gateway import SlackGateway


class Fallbacks:
    """Mentions for the people to notify when no expert can be pulled in for a skill."""

    def __init__(
        self,
        *,
        gateway: SlackGateway,
        skill_groups: Mapping[str, str],
        managers: Sequence[tuple[str, str]],
    ) -> None:
        self._gateway = gateway
        self._group_for_tag = {tag: handle for handle, tag in skill_groups.items()}
        self._managers = tuple(managers)

    async def group_mention(self, handle: str) -> str:
        """`<!subteam^ID|@handle>` for a user group (it notifies the members), or `@handle` if unknown."""
        groups = await self._gateway.usergroups_by_handle()
        group_id = groups.get(handle)
        return f"<!subteam^{group_id}|@{handle}>" if group_id else f"@{handle}"

    async def managers_mention(self) -> str:
        """Mentions of the configured escalation managers ("" when none are configured)."""
        parts = [
            await self.group_mention(name) if kind == "usergroup" else f"<@{name}>"
            for kind, name in self._managers
        ]
        return " ".join(parts)

    async def for_skill(self, tag: str) -> str:
        """Whom to notify when nobody fits `tag`."""
        handle = self._group_for_tag.get(tag)
        return await self.group_mention(handle) if handle else await self.managers_mention()

    async def is_manager(self, user_id: str) -> bool:
        """Whether `user_id` is an escalation manager (by id or by membership of a managers' group)."""
        for kind, name in self._managers:
            if kind == "user" and name == user_id:
                return True
            if kind == "usergroup":
                group_id = (await self._gateway.usergroups_by_handle()).get(name)
                if group_id and user_id in await self._gateway.usergroup_members(group_id):
                    return True
        return False
