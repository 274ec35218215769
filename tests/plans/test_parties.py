"""A responsible cell becomes parties with roles and levels from the dictionary."""

from __future__ import annotations

import pytest

from workflow.enums import Level, Role
from workflow.plans import PartyEntry, load_party_dictionary, understand_parties


@pytest.mark.parametrize(
    ("text", "role", "level", "org_code"),
    [
        ("МП ПМР", Role.MINISTRY_SPECIALIST, Level.MINISTRY, None),
        (
            "Министерство просвещения ПМР",
            Role.MINISTRY_SPECIALIST,
            Level.MINISTRY,
            None,
        ),
        ("ГУП «ЦИТ» МП ПМР", Role.AGENCY_STAFF, Level.AGENCY, "cit"),
        ('ГУП "ЦИТ"', Role.AGENCY_STAFF, Level.AGENCY, "cit"),
        ("ИРОиПК", Role.AGENCY_STAFF, Level.AGENCY, "iroipk"),
        ("УНО", Role.DISTRICT_SPECIALIST, Level.DISTRICT, None),
        ("Руководители ООО", Role.SCHOOL_HEAD, Level.SCHOOL, None),
        ("Директор", Role.SCHOOL_HEAD, Level.SCHOOL, None),
        ("Заместители руководителей по УВР", Role.DEPUTY_HEAD, Level.SCHOOL, None),
        ("методист по ИКТ", Role.ICT_METHODIST, Level.SCHOOL, None),
        ("методисты организаторы по ИКТ", Role.ICT_METHODIST, Level.SCHOOL, None),
        ("методисты-организаторы по ИКТ", Role.ICT_METHODIST, Level.SCHOOL, None),
        ("классные руководители", Role.CLASS_TEACHER, Level.SCHOOL, None),
        ("Педагоги ООО", Role.TEACHER, Level.SCHOOL, None),
    ],
)
def test_dictionary_maps_party_to_role_and_level(
    text: str, role: Role, level: Level, org_code: str | None
) -> None:
    parties, warnings = understand_parties(text, load_party_dictionary())

    assert [(party.role, party.level, party.org_code) for party in parties] == [
        (role, level, org_code)
    ]
    assert warnings == []


def test_cell_splits_on_commas_and_the_first_party_leads() -> None:
    text = "УНО, ИРОиПК, методисты по ИКТ"
    parties, _ = understand_parties(text, load_party_dictionary())

    assert [party.text for party in parties] == ["УНО", "ИРОиПК", "методисты по ИКТ"]
    assert parties[0].level is Level.DISTRICT


def test_two_known_parties_without_separator_are_split() -> None:
    parties, warnings = understand_parties("МП ПМР УНО", load_party_dictionary())

    assert [party.text for party in parties] == ["МП ПМР", "УНО"]
    assert warnings == []


def test_parties_joined_by_and_are_split() -> None:
    parties, _ = understand_parties("УНО и ИРОиПК", load_party_dictionary())

    assert [party.role for party in parties] == [
        Role.DISTRICT_SPECIALIST,
        Role.AGENCY_STAFF,
    ]


def test_by_agreement_marks_a_co_executor() -> None:
    text = "УНО, ИРОиПК (по согласованию)"
    parties, _ = understand_parties(text, load_party_dictionary())

    assert [(party.text, party.agreed) for party in parties] == [
        ("УНО", False),
        ("ИРОиПК", True),
    ]


def test_inline_alias_holds_for_later_cells_of_the_plan() -> None:
    dictionary = load_party_dictionary()
    first, _ = understand_parties(
        "Министерство образования и науки (далее - МОНиМП НО), УНО", dictionary
    )
    later, warnings = understand_parties("МОНиМП НО и УНО", dictionary)

    assert first[0].text == "Министерство образования и науки"
    assert [(party.text, party.level) for party in later] == [
        ("МОНиМП НО", Level.MINISTRY),
        ("УНО", Level.DISTRICT),
    ]
    assert warnings == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("И.И. Иванов, П.П. Петров", ["И.И. Иванов", "П.П. Петров"]),
        ("Иванов И.И. Петров П.П.", ["Иванов И.И.", "Петров П.П."]),
        ("И.И.Иванов П.П.Петров", ["И.И.Иванов", "П.П.Петров"]),
    ],
)
def test_persons_are_separate_parties_with_a_warning(
    text: str, names: list[str]
) -> None:
    parties, warnings = understand_parties(text, load_party_dictionary())

    assert [party.text for party in parties] == names
    assert all(party.role is None for party in parties)
    assert len(warnings) == len(names)


def test_unknown_party_is_kept_and_reported() -> None:
    parties, warnings = understand_parties("Горсовет, УНО", load_party_dictionary())

    assert [(party.text, party.role) for party in parties] == [
        ("Горсовет", None),
        ("УНО", Role.DISTRICT_SPECIALIST),
    ]
    assert "Горсовет" in warnings[0]


def test_extra_entries_from_the_app_extend_the_dictionary() -> None:
    extra = PartyEntry.for_name("Горсовет", Role.DISTRICT_SPECIALIST, Level.DISTRICT)
    dictionary = load_party_dictionary([extra])

    parties, warnings = understand_parties("Горсовет", dictionary)

    assert parties[0].role is Role.DISTRICT_SPECIALIST
    assert warnings == []
