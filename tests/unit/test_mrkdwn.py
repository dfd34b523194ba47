from bot.slack.mrkdwn import escape, from_slack, truncate


def test_escape_neutralises_every_control_sequence():
    assert (
        escape("<!channel> & <@U123> <https://x|y>")
        == "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;"
    )


def test_from_slack_turns_mentions_and_links_into_plain_text():
    text = (
        "Ask <@U1|alice> in <#C1|ops> or <!subteam^S1|@leads>, <!here> see <https://e.com|docs> &lt;3 &amp;"
    )
    assert from_slack(text) == "Ask @alice in #ops or @leads, @here see docs (https://e.com) <3 &"


def test_plain_then_escaped_round_trip_pings_nobody():
    assert "<" not in escape(from_slack("<!everyone> <@U1>"))


def test_truncate_marks_the_cut():
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdefghijkl", 5) == "abcd…"
    assert len(truncate("x" * 300, 250)) == 250
