import re

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.channel_names import MAX_LENGTH, SUFFIX_ROOM, slug, swarm_channel_name, with_suffix

SLACK_NAME = re.compile(r"[a-z0-9_-]{1,80}")


def test_name_is_prefix_ticket_and_summary_slug():
    assert swarm_channel_name("ZD-4521", "Customer cannot log in!") == "esc-zd-4521-customer-cannot-log-in"


def test_accents_fold_and_symbols_drop():
    assert slug("Crème brûlée — café ☕ 100%") == "creme-brulee-cafe-100"


def test_empty_summary_gives_ticket_only():
    assert swarm_channel_name("ZD-1", "") == "esc-zd-1"
    assert swarm_channel_name("ZD-1", "☕☕") == "esc-zd-1"


def test_long_summary_is_cut_at_a_word_with_room_for_a_suffix():
    name = swarm_channel_name("ZD-1", "word " * 40)
    assert len(name) <= MAX_LENGTH - SUFFIX_ROOM
    assert name.endswith("-word")


def test_suffix_keeps_the_limit():
    name = "a" * 80
    assert with_suffix(name, 2) == "a" * 78 + "-2"
    assert with_suffix("esc-zd-1", 3) == "esc-zd-1-3"


@given(st.text(max_size=64), st.text(max_size=600), st.integers(min_value=2, max_value=9999))
def test_any_ticket_and_summary_give_a_valid_slack_name(ticket, summary, attempt):
    name = swarm_channel_name(ticket, summary)
    assert SLACK_NAME.fullmatch(name)
    assert SLACK_NAME.fullmatch(with_suffix(name, attempt))
