"""Who may do what in a swarm: the one permission matrix, enforced here and documented in the README.

| action                          | who may                                                        |
|---------------------------------|----------------------------------------------------------------|
| hand off the commander role     | the commander, an escalation manager                           |
| assign or hand off another role | the commander, an escalation manager, the role's holder;       |
|                                 | anyone in the channel while the role is open                   |
| claim a task or an open role    | anyone in the channel (first :raising_hand: wins)              |
| mark a task done                | whoever claimed it, the commander                              |
| add a task, pull in experts     | anyone in the channel                                          |
| answer an expert invitation     | the invited expert only                                        |
| post a status update            | the commander, the scribe                                      |
| escalate up, change severity,   | the commander, an escalation manager                           |
| resolve                         |                                                                |

Escalation managers come from SWARMBOT_ESCALATION_MANAGERS. Operator commands (`swarmbot tickets`,
`experts import`) run on the server and are not reachable from Slack.
"""

from __future__ import annotations

from bot.errors import PermissionDenied
from bot.fallbacks import Fallbacks
from bot.swarm_views import RoleView, SwarmView, TaskView


class Permissions:
    """Checks the matrix; each check raises PermissionDenied saying who may do it instead."""

    def __init__(self, *, fallbacks: Fallbacks) -> None:
        self._fallbacks = fallbacks

    async def is_manager(self, user_id: str) -> bool:
        """Whether `user_id` is an escalation manager."""
        return await self._fallbacks.is_manager(user_id)

    async def assign_role(self, swarm: SwarmView, role: RoleView, user_id: str) -> None:
        """May `user_id` give `role` to someone?"""
        if role.key == "commander":
            if user_id == swarm.commander or await self.is_manager(user_id):
                return
            raise PermissionDenied(
                f"Only the commander (<@{swarm.commander}>) or an escalation manager "
                "can hand off the commander role."
            )
        if role.holder is None or user_id in (swarm.commander, role.holder) or await self.is_manager(user_id):
            return
        raise PermissionDenied(
            f"*{role.title}* is held by <@{role.holder}>: only they, the commander or an escalation manager "
            "can hand it off."
        )

    async def mark_done(self, swarm: SwarmView, task: TaskView, user_id: str) -> None:
        """May `user_id` mark `task` done?"""
        if user_id in (task.claimed_by, swarm.commander):
            return
        holder = f"<@{task.claimed_by}> (who claimed it)" if task.claimed_by else "whoever claims it"
        raise PermissionDenied(
            f"Only {holder} or the commander <@{swarm.commander}> can mark task {task.position} done."
        )

    async def post_update(self, swarm: SwarmView, user_id: str) -> None:
        """May `user_id` post a status update? The commander or the scribe."""
        scribe = next((role.holder for role in swarm.roles if role.key == "scribe"), None)
        if user_id in (swarm.commander, scribe):
            return
        who = f"the commander <@{swarm.commander}>" + (f" or the scribe <@{scribe}>" if scribe else "")
        raise PermissionDenied(f"Status updates come from {who}.", hint="Ask them, or take the scribe role.")

    async def steer(self, swarm: SwarmView, user_id: str, action: str) -> None:
        """May `user_id` escalate up, change severity or resolve? The commander or an escalation manager."""
        if user_id == swarm.commander or await self.is_manager(user_id):
            return
        raise PermissionDenied(
            f"Only the commander <@{swarm.commander}> or an escalation manager can {action}."
        )
