import pytest

from bot.errors import InvalidCommand
from bot.grammar import Help, OpenSwarm, SwarmCommand, parse

CATEGORIES = frozenset({"outage", "billing"})


def test_ticket_alone_opens_with_default_severity():
    assert parse("ZD-4521") == OpenSwarm(ticket_id="ZD-4521", severity="sev3")


def test_full_command_reads_every_optional_word_before_the_summary():
    request = parse(
        "ZD-4521 sev1 outage #postgres #billing customer:Acme Customer cannot log in", categories=CATEGORIES
    )
    assert request == OpenSwarm(
        ticket_id="ZD-4521",
        severity="sev1",
        category="outage",
        skills=("postgres", "billing"),
        customer="Acme",
        summary="Customer cannot log in",
    )


def test_optional_words_come_in_any_order():
    request = parse("zd-1 customer:Acme #db SEV2 down again", categories=CATEGORIES)
    assert request == OpenSwarm(
        ticket_id="ZD-1", severity="sev2", skills=("db",), customer="Acme", summary="down again"
    )


def test_escaped_channel_mention_is_read_as_a_skill_tag():
    request = parse("ZD-1 <#C0123|postgres> slow queries")
    assert isinstance(request, OpenSwarm)
    assert request.skills == ("postgres",)


def test_quoted_customer_name_may_hold_spaces_and_smart_quotes():
    assert parse('ZD-1 customer:"Acme Corp" broken').customer == "Acme Corp"  # type: ignore[union-attr]
    assert parse("ZD-1 customer:“Acme Corp” broken").customer == "Acme Corp"  # type: ignore[union-attr]


def test_summary_keeps_words_after_it_starts_and_decodes_slack_escaping():
    request = parse("ZD-1 Login &amp; SSO broken for <@U123|alice> sev1 #later")
    assert isinstance(request, OpenSwarm)
    assert request.severity == "sev3"
    assert request.summary == "Login & SSO broken for @alice sev1 #later"


def test_summary_that_tries_to_ping_channel_is_kept_as_plain_text():
    request = parse("ZD-1 <!channel> everyone look")
    assert isinstance(request, OpenSwarm)
    assert request.summary == "@channel everyone look"


def test_a_word_starting_with_sev_that_is_not_a_severity_starts_the_summary():
    request = parse("ZD-1 several customers affected")
    assert isinstance(request, OpenSwarm)
    assert request.summary == "several customers affected"


def test_sev_with_dash_is_accepted():
    assert parse("ZD-1 SEV-1").severity == "sev1"  # type: ignore[union-attr]


def test_help_and_subcommands():
    assert parse("help") == Help()
    assert parse("  HELP ") == Help()
    assert parse("resolve Fixed the index") == SwarmCommand(verb="resolve", arguments="Fixed the index")
    assert parse("up") == SwarmCommand(verb="up", arguments="")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "which ticket"),
        ("   ", "which ticket"),
        ("Customer cannot log in", "not a ticket id"),
        ("resolv done", "Did you mean `resolve`"),
        ("ZD-４５２１ broken", "ASCII"),
        ("ZD-" + "1" * 70, "limit is 64"),
        ("ZD 4521", "not a ticket id"),
        ("ZD-1 sev5", "Unknown severity `sev5`"),
        ("ZD-1 sev0 x", "Unknown severity"),
        ("ZD-1 sev1 sev2", "Give one severity"),
        ("ZD-1 #Bad!tag", "not a skill tag"),
        ("ZD-1 # x", "not a skill tag"),
        ("ZD-1 customer: x", "needs a name"),
        ("ZD-1 customer:a customer:b", "one `customer:`"),
        ("ZD-1 " + "word " * 120, "keep it under 500"),
        ("ZD-1 <#C0123> x", "type it as `#tag`"),
        ("sev1 ZD-1", "Put the ticket id first"),
        ("#postgres ZD-1", "Put the ticket id first"),
        ("customer:Acme ZD-1", "Put the ticket id first"),
    ],
)
def test_bad_input_is_explained_with_the_right_form(text, says):
    with pytest.raises(InvalidCommand) as raised:
        parse(text)
    assert says in raised.value.message
    assert "/escalate TICKET" in (raised.value.hint or "")
