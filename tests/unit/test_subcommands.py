import pytest

from bot.config import Settings
from bot.errors import ConfigurationError, InvalidCommand
from bot.grammar import SwarmCommand
from bot.subcommands import AddExperts, AddTask, AssignRole, ShowExperts, parse_swarm_command


def parse(verb: str, arguments: str):
    return parse_swarm_command(SwarmCommand(verb, arguments))


def test_task_role_add_and_experts_parse_into_requests():
    assert parse("task", "Check &amp; fix  the <@U1|bob> replica") == AddTask("Check & fix the @bob replica")
    assert parse("role", "Liaison <@U123ABC|carol>") == AssignRole("liaison", "U123ABC")
    assert parse("role", "scribe <@W9>") == AssignRole("scribe", "W9")
    assert parse("add", "#postgres <#C1|billing> #postgres") == AddExperts(("postgres", "billing"))
    assert parse("experts", "#SRE") == ShowExperts("sre")


@pytest.mark.parametrize(
    ("verb", "arguments", "says"),
    [
        ("task", "   ", "Say what the task is"),
        ("task", "x" * 301, "under 300"),
        ("role", "liaison", "mention one person"),
        ("role", "liaison bob", "mention one person"),
        ("role", "<@U1> liaison", "mention one person"),
        ("add", "", "at least one skill"),
        ("add", "postgres", "is not a skill tag"),
        ("experts", "#a #b", "Name one skill"),
        ("list", "everything", "takes no words"),
        ("reopen", "", "Name the ticket"),
        ("sev", "sev1 sev2", "Give one severity"),
        ("up", "now", "takes no words"),
    ],
)
def test_bad_subcommands_are_explained_with_their_usage(verb, arguments, says):
    with pytest.raises(InvalidCommand) as raised:
        parse(verb, arguments)
    assert says in raised.value.message


def test_skill_groups_and_escalation_managers_are_read_from_settings():
    settings = Settings(
        _env_file=None,
        swarmbot_skill_groups="@dba=#postgres, billing-team=billing",
        swarmbot_escalation_managers="usergroup:support-managers,user:U123",
    )
    assert settings.skill_groups() == {"dba": "postgres", "billing-team": "billing"}
    assert settings.escalation_managers() == (("usergroup", "support-managers"), ("user", "U123"))


@pytest.mark.parametrize(
    "field", [{"swarmbot_skill_groups": "dba"}, {"swarmbot_escalation_managers": "support-managers"}]
)
def test_malformed_group_settings_say_how_to_write_them(field):
    settings = Settings(_env_file=None, **field)
    with pytest.raises(ConfigurationError, match="should"):
        settings.skill_groups()
        settings.escalation_managers()


def test_invitation_timeout_must_be_wall_clock():
    with pytest.raises(ValueError, match="minutes or hours"):
        Settings(_env_file=None, swarmbot_invitation_timeout="2bd")
