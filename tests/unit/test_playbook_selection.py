import pytest

from bot.playbooks import Playbook, PlaybookLibrary, load_library


def playbook(name, *, order=None, default=False, private=False, **match):
    data = {
        "name": name,
        "title": name.title(),
        "roles": [{"key": "commander", "title": "Commander", "fill": "requester"}],
    }
    if default:
        data["default"] = True
    else:
        data["order"] = order
        data["match"] = match
    if private:
        data["private"] = True
    return Playbook.model_validate(data)


@pytest.fixture
def library():
    return PlaybookLibrary(
        [
            playbook("fallback", default=True),
            playbook("outage", order=20, categories=["outage"]),
            playbook("critical", order=10, severities=["sev1"]),
            playbook("gold-billing", order=30, categories=["billing"], customer_tiers=["gold"]),
        ]
    )


def test_playbooks_are_kept_in_ascending_order_with_the_default_last(library):
    assert [p.name for p in library.playbooks] == ["critical", "outage", "gold-billing", "fallback"]


def test_the_first_playbook_whose_match_fits_wins(library):
    assert library.select("outage", "sev1").name == "critical"
    assert library.select("outage", "sev2").name == "outage"


def test_the_default_takes_whatever_nothing_else_matches(library):
    assert library.select("billing", "sev3").name == "fallback"
    assert library.select("unheard-of", "sev2").name == "fallback"


def test_no_category_matches_only_playbooks_that_do_not_ask_for_one(library):
    assert library.select(None, "sev1").name == "critical"
    assert library.select(None, "sev2").name == "fallback"


def test_customer_tiers_must_match_when_a_playbook_names_them(library):
    assert library.select("billing", "sev3", customer_tier="gold").name == "gold-billing"
    assert library.select("billing", "sev3", customer_tier="silver").name == "fallback"
    assert library.select("billing", "sev3", customer_tier=None).name == "fallback"


def test_an_unknown_severity_is_refused(library):
    with pytest.raises(ValueError, match="unknown severity `sev9`"):
        library.select("outage", "sev9")


def test_categories_are_the_union_of_every_match(library):
    assert library.categories == {"outage", "billing"}


def test_get_finds_a_playbook_by_name_and_names_the_others_when_it_cannot(library):
    assert library.get("outage").name == "outage"
    assert "outage" in library and "nope" not in library
    with pytest.raises(KeyError, match="no playbook is called `nope`; there are critical, outage"):
        library.get("nope")


def test_a_library_built_in_code_checks_the_same_rules_as_the_loader():
    with pytest.raises(ValueError, match="no playbook is marked `default: true`"):
        PlaybookLibrary([playbook("outage", order=1, categories=["outage"])])
    with pytest.raises(ValueError, match="the name is used twice"):
        PlaybookLibrary(
            [
                playbook("d", default=True),
                playbook("a", order=1, categories=["x"]),
                playbook("a", order=2, categories=["y"]),
            ]
        )


@pytest.mark.parametrize(
    ("category", "severity", "expected"),
    [
        ("outage", "sev1", "outage"),
        ("fraud", "sev2", "security"),
        ("security", "sev4", "security"),
        ("compliance", "sev3", "compliance"),
        ("billing", "sev2", "billing"),
        ("access", "sev3", "access"),
        ("defect", "sev4", "defect"),
        ("executive", "sev1", "executive"),
        (None, "sev3", "default"),
    ],
)
def test_each_category_word_selects_its_bundled_playbook(category, severity, expected):
    assert load_library().select(category, severity).name == expected
