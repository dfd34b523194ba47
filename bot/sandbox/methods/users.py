"""users.info/list/lookupByEmail and usergroups.list/users.list."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..pagination import page_limit, paginate
from ..shapes import user_json, usergroup_json
from .context import CallContext
from .registry import method


def _with_email(ctx: CallContext) -> bool:
    # Slack shows profile.email only to tokens holding users:read.email.
    return ctx.has_scope("users:read.email")


@method("users.info", tier="tier4", scopes=("users:read",))
def users_info(ctx: CallContext) -> dict[str, Any]:
    """One user."""
    return {"user": user_json(ctx.user(ctx.arg("user")), with_email=_with_email(ctx))}


@method("users.list", tier="tier2", scopes=("users:read",))
def users_list(ctx: CallContext) -> dict[str, Any]:
    """Every user, paginated by id."""
    users = sorted(ctx.ws.users.values(), key=lambda u: u.id)
    limit = page_limit(ctx.integer("limit"), default=1000, maximum=1000)
    page, next_cursor = paginate(
        users, kind="user", limit=limit, cursor=ctx.arg("cursor"), token=lambda u: u.id, order=str
    )
    return {
        "members": [user_json(u, with_email=_with_email(ctx)) for u in page],
        "cache_ts": ctx.now(),
        "response_metadata": {"next_cursor": next_cursor or ""},
    }


@method("users.lookupByEmail", tier="tier3", scopes=("users:read.email",))
def users_lookup_by_email(ctx: CallContext) -> dict[str, Any]:
    """A user by email address."""
    user = ctx.ws.user_by_email(ctx.arg("email") or "")
    if user is None:
        raise ApiError("users_not_found")
    return {"user": user_json(user)}


@method("usergroups.list", tier="tier2", scopes=("usergroups:read",))
def usergroups_list(ctx: CallContext) -> dict[str, Any]:
    """Every user group of the workspace."""
    include_users = ctx.flag("include_users")
    groups = sorted(ctx.ws.usergroups.values(), key=lambda g: g.id)
    return {"usergroups": [usergroup_json(g, include_users=include_users) for g in groups]}


@method("usergroups.users.list", tier="tier2", scopes=("usergroups:read",))
def usergroups_users_list(ctx: CallContext) -> dict[str, Any]:
    """The members of one user group."""
    group = ctx.ws.usergroups.get(ctx.arg("usergroup") or "")
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group.users)}
