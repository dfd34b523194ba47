"""The message shortcut “Escalate this message”: the form filled in from the message, and the message
linked in the brief (or, when the ticket already has a swarm, in that swarm's channel)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Stack, text_of

REPORT = "ZD-4600 customer:Acme Customer cannot export invoices since <!here> the 14:00 deploy"


def field(form: dict[str, Any], block_id: str) -> Any:
    element = next(b for b in form["blocks"] if b.get("block_id") == block_id)["element"]
    return element.get("initial_value") or (element.get("initial_option") or {}).get("value")


async def shortcut_form(stack: Stack, text: str, *, by: str = "bob") -> tuple[dict[str, Any], str]:
    """carol posts `text` in #support; `by` escalates it; the form and the message's ts."""
    support = stack.cast.support_channel
    ts = await stack.sandbox.human(stack.person("carol")).post(support, text)
    person = stack.person(by)
    answer = await stack.driver.message_shortcut(person, "escalate_message", support, ts)
    assert answer.status == 200
    [form] = await stack.sandbox.wait_for(lambda: stack.sandbox.open_modals(person), timeout=10)
    return dict(form), ts


async def test_the_shortcut_fills_the_form_from_the_message_and_the_brief_links_it(stack: Stack):
    form, ts = await shortcut_form(stack, REPORT)
    assert (field(form, "ticket"), field(form, "customer"), field(form, "summary")) == (
        "ZD-4600",
        "Acme",
        "ZD-4600 customer:Acme Customer cannot export invoices since @here the 14:00 deploy",
    )
    assert "Escalating a message from" in str(form["blocks"][0])
    bob, support = stack.person("bob"), stack.cast.support_channel
    await stack.driver.view_submission(bob, form["id"], {"severity": "sev2"})
    said = await stack.sandbox.wait_for(
        lambda: stack.sandbox.ephemerals(channel=support, user=bob), timeout=15
    )
    assert "Opened" in text_of(said[-1])
    channel = stack.channel_named("esc-zd-4600")
    permalink = f"https://sandbox.slack.com/archives/{support}/p{ts.replace('.', '')}"

    def brief() -> str:
        return text_of(stack.sandbox.pins(channel["id"])[0])

    await stack.sandbox.wait_for(lambda: permalink in brief(), timeout=10)
    assert f"*Escalated from* <{permalink}|this message>" in brief()
    assert "&lt;!here&gt;" not in brief() and "<!here>" not in brief()  # the summary never pings


async def test_escalating_another_message_about_an_open_ticket_links_it_in_the_swarm(stack: Stack):
    await stack.escalate("ZD-4601 sev2 Invoices doubled")
    channel = stack.channel_named("esc-zd-4601")["id"]
    form, ts = await shortcut_form(stack, "Same for ZD-4601: now three customers see doubled invoices")
    assert field(form, "ticket") == "ZD-4601"
    await stack.driver.view_submission(stack.person("bob"), form["id"], {})
    permalink = f"/archives/{stack.cast.support_channel}/p{ts.replace('.', '')}"
    notes = await stack.sandbox.wait_for(
        lambda: [
            text_of(m) for m in stack.sandbox.messages(channel, system=False) if permalink in text_of(m)
        ],
        timeout=15,
    )
    assert "escalated <https://" in notes[0] and "another message> about ZD-4601" in notes[0]
    assert len([c for c in stack.sandbox.channels() if c["name"].startswith("esc-")]) == 1


async def test_a_message_without_a_ticket_id_leaves_the_ticket_to_fill_in(stack: Stack):
    form, _ = await shortcut_form(stack, "Login page times out for everyone at Globex")
    assert field(form, "ticket") is None and field(form, "customer") is None
    answer = await stack.driver.view_submission(stack.person("bob"), form["id"], {})
    assert answer.json["errors"]["ticket"].startswith("Which ticket? Use one word like ZD-4521")
