"""Modal state values from a user's input, and what the app's answers to a submission do to views."""

from __future__ import annotations

from typing import Any

from . import rules
from .errors import ApiError, SandboxError
from .state import View, Workspace

TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input"}
SINGLE = {
    "static_select": "selected_option",
    "external_select": "selected_option",
    "radio_buttons": "selected_option",
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
MULTI = {
    "multi_static_select": "selected_options",
    "multi_external_select": "selected_options",
    "checkboxes": "selected_options",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}


def element_value(element: dict[str, Any], given: Any) -> dict[str, Any]:
    """One entry of `state.values`, from a plain value or an already-shaped dict."""
    kind = element.get("type", "plain_text_input")
    if isinstance(given, dict) and "type" in given:
        return given
    if kind in SINGLE:
        key = SINGLE[kind]
        if key == "selected_option" and isinstance(given, str):
            options = element.get("options") or []
            given = next(
                (o for o in options if o.get("value") == given),
                {"text": {"type": "plain_text", "text": given}, "value": given},
            )
        return {"type": kind, key: given}
    if kind in MULTI:
        key = MULTI[kind]
        items = list(given or [])
        if key == "selected_options":
            options = element.get("options") or []
            items = [
                next(
                    (o for o in options if o.get("value") == v),
                    {"text": {"type": "plain_text", "text": v}, "value": v},
                )
                if isinstance(v, str)
                else v
                for v in items
            ]
        return {"type": kind, key: items}
    return {"type": kind, "value": given}


# Where an element keeps the value it opens with; Slack submits that value for a field nobody touched.
INITIAL = {
    **dict.fromkeys(TEXT_INPUTS, "initial_value"),
    "static_select": "initial_option",
    "external_select": "initial_option",
    "radio_buttons": "initial_option",
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
    "datetimepicker": "initial_date_time",
    "multi_static_select": "initial_options",
    "multi_external_select": "initial_options",
    "checkboxes": "initial_options",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
}


def state_values(view: View, values: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for a submission: every input block, filled from `values`.

    `values` maps block_id → {action_id: value} (or block_id → value for one-element inputs); a block
    left out keeps the element's initial value (`initial_value`, `initial_option`, …), as in Slack.
    """
    result: dict[str, Any] = {}
    for block in view.body.get("blocks", []):
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        if block["block_id"] in values:
            given = values[block["block_id"]]
        else:
            given = element.get(INITIAL.get(element.get("type", "plain_text_input"), "initial_value"))
        if isinstance(given, dict) and element["action_id"] in given:
            given = given[element["action_id"]]
        result[block["block_id"]] = {element["action_id"]: element_value(element, given)}
    unknown = set(values) - set(result)
    if unknown:
        raise SandboxError(f"view {view.id} has no input blocks {sorted(unknown)}")
    return result


def apply_view_answer(ws: Workspace, view: View, answer: Any, *, new_view: Any) -> None:
    """What Slack does with the app's answer to a view_submission (`response_action`, or close)."""
    stack = ws.modal_stacks.get(view.user, [])
    action = answer.get("response_action") if isinstance(answer, dict) else None
    if action == "errors":
        view.errors = dict(answer.get("errors") or {})
    elif action == "update":
        view.body, view.errors = rules.check_view(answer.get("view"), kinds=("modal",)), {}
    elif action == "push":
        if len(stack) >= rules.VIEW_STACK_MAX:
            raise ApiError("push_limit_reached")
        stack.append(new_view(rules.check_view(answer.get("view"), kinds=("modal",))))
    elif action == "clear":
        for view_id in stack:
            ws.views[view_id].is_open = False
        stack.clear()
    elif view.id in stack:
        stack.remove(view.id)
        view.is_open = False
