"""Messages playbook authors write: Jinja2 templates compiled at load time and rendered in a sandbox.

Authors are operators, not attackers, but their templates still run in jinja2's SandboxedEnvironment so a
typo can never reach Python internals, with StrictUndefined so a missing value fails loudly instead of
posting a blank. Every interpolated value is escaped for Slack mrkdwn, so a ticket summary can never ping
`@channel`; the author's own text is posted as written.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Annotated

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from bot.errors import ConfigurationError
from bot.slack.mrkdwn import escape

# The values the escalation engine passes when it renders an escalation level's `message`.
ESCALATION_MESSAGE_VARIABLES: Mapping[str, str] = {
    "ticket_id": "the ticket, e.g. ZD-4521",
    "severity": "sev1, sev2, sev3 or sev4",
    "category": "the category word the swarm was opened with, or an empty string",
    "summary": "the summary the requester wrote",
    "customer": "the customer's name, or an empty string",
    "channel": "the swarm channel's name, without #",
    "level": "the escalation level reached: 1 for the first",
    "elapsed": "how long the swarm has been open, e.g. 2h",
    "playbook": "the playbook's title",
}
MAX_RENDERED_CHARS = 3000  # Slack's limit for one section block's text


class TemplateRenderError(ConfigurationError):
    """An author's template could not be rendered; the message names the template and the reason."""


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=lambda value: escape(str(value)),
        keep_trailing_newline=False,
    )


class AuthorTemplate:
    """A compiled author template: its source, the variables it uses, and a render method."""

    def __init__(self, source: str, compiled: Template, variables: frozenset[str]) -> None:
        self.source = source
        self.variables = variables
        self._compiled = compiled

    @classmethod
    def compile(cls, source: str, *, allowed_variables: Collection[str] | None = None) -> AuthorTemplate:
        """Compile `source`; ValueError on a syntax error or a variable outside `allowed_variables`."""
        environment = _environment()
        try:
            variables = frozenset(meta.find_undeclared_variables(environment.parse(source)))
            compiled = environment.from_string(source)
        except TemplateSyntaxError as error:
            raise ValueError(
                f"template syntax error on line {error.lineno} of the message: {error.message}"
            ) from None
        if allowed_variables is not None:
            for name in sorted(variables - set(allowed_variables)):
                close = difflib.get_close_matches(name, allowed_variables, n=1)
                suggestion = f" (did you mean `{close[0]}`?)" if close else ""
                known = ", ".join(allowed_variables)
                raise ValueError(
                    f"the template uses an unknown variable `{name}`{suggestion}; known: {known}"
                )
        return cls(source, compiled, variables)

    def render(self, values: Mapping[str, object]) -> str:
        """The message for `values`; TemplateRenderError (never a jinja2 error) when it cannot be rendered."""
        rendered: list[str] = []
        length = 0
        try:
            for chunk in self._compiled.generate(dict(values)):
                rendered.append(chunk)
                length += len(chunk)
                if length > MAX_RENDERED_CHARS:
                    raise TemplateRenderError(
                        f"{self._label()} produced more than {MAX_RENDERED_CHARS} characters"
                    )
        except TemplateRenderError:
            raise
        except UndefinedError as error:
            raise TemplateRenderError(f"{self._label()} needs a value that was not given: {error}") from error
        except SecurityError as error:
            raise TemplateRenderError(
                f"{self._label()} tried something the sandbox forbids: {error}"
            ) from error
        except Exception as error:  # an author's expression may raise anything (1/0, "a" + 1, …)
            raise TemplateRenderError(f"{self._label()} failed: {type(error).__name__}: {error}") from error
        return "".join(rendered).strip()

    def _label(self) -> str:
        first_line = self.source.strip().splitlines()[0] if self.source.strip() else ""
        shown = first_line if len(first_line) <= 60 else first_line[:57] + "…"
        return f"the template `{shown}`"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AuthorTemplate) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"AuthorTemplate({self.source!r})"

    def __str__(self) -> str:
        return self.source


def render_author_template(template: AuthorTemplate | str, values: Mapping[str, object]) -> str:
    """Render an author template (compiled or source) with plain `values`; TemplateRenderError on failure."""
    if isinstance(template, str):
        try:
            template = AuthorTemplate.compile(template)
        except ValueError as error:
            raise TemplateRenderError(str(error)) from error
    return template.render(values)


def _to_escalation_message(value: object) -> AuthorTemplate:
    if isinstance(value, AuthorTemplate):
        return value
    if not isinstance(value, str):
        raise ValueError("must be text (a message template)")
    if not value.strip():
        raise ValueError("must not be empty: leave `message` out to use the standard escalation message")
    return AuthorTemplate.compile(value, allowed_variables=ESCALATION_MESSAGE_VARIABLES)


EscalationMessage = Annotated[
    AuthorTemplate,
    PlainValidator(_to_escalation_message),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string"}),
]
