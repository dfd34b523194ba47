"""Reading Slack's encoded text: what a transcript keeps of mentions, links, entities and files."""

from __future__ import annotations

import pytest

from bot.transcripts.messages import decode_file, encode_file
from bot.transcripts.rendering import markdown_text
from bot.transcripts.slack_text import fallback_text, file_entries, links, mentioned_users, plain_text


@pytest.mark.parametrize(
    ("encoded", "plain"),
    [
        ("<@U1> and <@U2|bob>", "@Alice and @Bob"),
        ("<@U9|someone>", "@someone"),
        ("<@U8>", "@U8"),
        ("<#C1|general> <#C2>", "#general #C2"),
        (
            "<!here> <!channel> <!subteam^S1|@support-leads> <!subteam^S2>",
            "@here @channel @support-leads @S2",
        ),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("<https://a.example/x?y=1&amp;z=2|docs>", "docs (https://a.example/x?y=1&z=2)"),
        ("<https://a.example>", "https://a.example"),
        ("<mailto:bob@example.com|bob@example.com>", "bob@example.com"),
        ("&lt;b&gt; &amp;amp;", "<b> &amp;"),
    ],
)
def test_plain_text_reads_as_people_wrote_it(encoded, plain):
    assert plain_text(encoded, {"U1": "Alice", "U2": "Bob", "U8": None}) == plain


def test_links_and_mentions_are_listed_once_in_order():
    text = "<https://b.example|b> <@U2> <https://a.example> <@U1> <https://b.example> <mailto:x@y.z> <@U2>"
    assert links(text) == ["https://b.example", "https://a.example"]
    assert mentioned_users(text) == ["U2", "U1"]


def test_attachments_stand_in_for_missing_text():
    assert fallback_text({"text": "", "attachments": [{"fallback": "a"}, {"text": "b"}, {}]}) == "a\nb"
    assert fallback_text({"text": "t", "attachments": [{"fallback": "a"}]}) == "t"


def test_files_keep_name_and_permalink_and_round_trip():
    found = file_entries(
        {"files": [{"name": "a b.png", "permalink": "https://x/F1"}, {"id": "F2", "mode": "tombstone"}]}
    )
    assert found == [("a b.png", "https://x/F1"), ("F2 (tombstone)", None)]
    for name, permalink in [*found, ("odd <name>", None), ("with <angle> <https://x/F3>", "https://x/F4")]:
        assert decode_file(encode_file(name, permalink)) == (name, permalink)


def test_markdown_text_defuses_html_and_link_syntax_but_keeps_comparisons():
    assert (
        markdown_text("<script>x</script> <!-- c --> <https://a>")
        == "&lt;script>x&lt;/script> &lt;!-- c --> &lt;https://a>"
    )
    assert markdown_text("[x](javascript:alert(1))") == "[x]\\(javascript:alert(1))"
    assert markdown_text("a < b, <3") == "a < b, <3"
