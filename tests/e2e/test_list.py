"""`/escalate list` shows the open swarms a person can see; `/escalate help` lists every subcommand."""

from __future__ import annotations

from tests.e2e.conftest import Stack, opened, text_of


async def test_list_shows_public_swarms_to_everyone_and_private_ones_only_to_people_in_them(stack: Stack):
    await opened(stack, "ZD-900 sev3 Reports slow")
    await opened(stack, "ZD-901 sev1 security customer:Acme Token leaked in a support ticket")
    resolved = await opened(stack, "ZD-902 sev2 Exports fail")
    await stack.escalate("resolve Fixed the export job", channel=resolved)

    mine = text_of(await stack.escalate("list"))
    assert "Open swarms (2)" in mine
    assert mine.index("ZD-901") < mine.index("ZD-900")  # most severe first
    assert "*ZD-901* · SEV1 · private · you are in it" in mine
    assert "ZD-902" not in mine  # resolved

    outsider = text_of(await stack.escalate("list", user="dave"))
    assert "Open swarms (1)" in outsider and "ZD-900" in outsider
    assert "ZD-901" not in outsider and "Token leaked" not in outsider


async def test_list_with_nothing_open_says_how_to_open_one(stack: Stack):
    answer = await stack.escalate("list")
    assert answer["response_type"] == "ephemeral"
    assert "No open swarms you can see" in text_of(answer)


async def test_list_takes_no_words(stack: Stack):
    answer = await stack.escalate("list everything")
    assert "`/escalate list` takes no words after it." in text_of(answer)


async def test_help_lists_every_subcommand_with_an_example(stack: Stack):
    help_text = text_of(await stack.escalate("help"))
    for verb in ("task", "role", "add", "experts", "update", "sev", "up", "resolve", "reopen", "list"):
        assert f"`/escalate {verb}" in help_text, verb
    assert "Escalate this message" in help_text
