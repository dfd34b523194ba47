import pytest

from bot.errors import ConfigurationError
from bot.playbooks import (
    ESCALATION_MESSAGE_VARIABLES,
    AuthorTemplate,
    TemplateRenderError,
    render_author_template,
)

VALUES = {
    "ticket_id": "ZD-4521",
    "severity": "sev1",
    "category": "outage",
    "summary": "Checkout fails",
    "customer": "Acme",
    "channel": "zd-4521-checkout",
    "level": 2,
    "elapsed": "45m",
    "playbook": "Customer-facing outage",
}


def test_an_author_template_renders_with_a_plain_dict_of_values():
    template = AuthorTemplate.compile(
        "{{ ticket_id }} ({{ severity }}) unresolved after {{ elapsed }}: level {{ level }}, #{{ channel }}",
        allowed_variables=ESCALATION_MESSAGE_VARIABLES,
    )
    assert template.variables == {"ticket_id", "severity", "elapsed", "level", "channel"}
    assert render_author_template(template, VALUES) == (
        "ZD-4521 (sev1) unresolved after 45m: level 2, #zd-4521-checkout"
    )


def test_interpolated_values_are_escaped_so_they_cannot_ping_anyone():
    rendered = render_author_template("Summary: {{ summary }}", {"summary": "<!channel> & <@U123>"})
    assert rendered == "Summary: &lt;!channel&gt; &amp; &lt;@U123&gt;"


def test_the_authors_own_text_is_posted_as_written():
    assert render_author_template("*Escalated* <!subteam^S1> {{ level }}", {"level": 3}) == (
        "*Escalated* <!subteam^S1> 3"
    )


def test_loops_filters_and_conditionals_work_in_the_sandbox():
    source = "{% if customer %}{{ customer|upper }}{% else %}someone{% endif %}: "
    source += "{% for i in range(2) %}!{% endfor %}"
    assert render_author_template(source, {"customer": "Acme"}) == "ACME: !!"
    assert render_author_template(source, {"customer": ""}) == "someone: !!"


@pytest.mark.parametrize(
    ("source", "values", "reason"),
    [
        (
            "{{ missing }}",
            {},
            "the template `{{ missing }}` needs a value that was not given: 'missing' is undefined",
        ),
        (
            "{{ ticket_id.__class__.__mro__ }}",
            {"ticket_id": "T"},
            "the template `{{ ticket_id.__class__.__mro__ }}` tried something the sandbox forbids",
        ),
        ("{{ 1 / level }}", {"level": 0}, "the template `{{ 1 / level }}` failed: ZeroDivisionError"),
        ("{{ x", {}, "template syntax error on line 1 of the message"),
        (
            "{{ x|shout }}",
            {"x": 1},
            "template syntax error on line 1 of the message: No filter named 'shout'",
        ),
        (
            "{% for i in range(100000) %}spam {% endfor %}",
            {},
            "the template `{% for i in range(100000) %}spam {% endfor %}` produced more than 3000 characters",
        ),
    ],
)
def test_template_failures_surface_only_as_template_render_errors(source, values, reason):
    with pytest.raises(TemplateRenderError) as caught:
        render_author_template(source, values)
    assert str(caught.value).startswith(reason)


def test_a_template_render_error_is_a_configuration_error_for_the_operator():
    assert issubclass(TemplateRenderError, ConfigurationError)


def test_compiling_checks_variables_against_the_ones_the_engine_supplies():
    with pytest.raises(ValueError, match=r"unknown variable `custommer` \(did you mean `customer`\?\)"):
        AuthorTemplate.compile("{{ custommer }}", allowed_variables=ESCALATION_MESSAGE_VARIABLES)


def test_templates_compare_by_their_source():
    assert AuthorTemplate.compile("{{ level }}") == AuthorTemplate.compile("{{ level }}")
    assert str(AuthorTemplate.compile("{{ level }}")) == "{{ level }}"
