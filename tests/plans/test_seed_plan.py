"""The seed plan (order № 289, «Элжур») read item by item against its table."""

from __future__ import annotations

from datetime import date

from workflow.enums import Level, Recurrence, Role
from workflow.plans import ParsedPlan, parsed_plan_to_json

# The seed's table as a person reads it: number, start of title, timing text,
# understood start and due, recurrence, and the roles responsible in order.
SEED_TABLE = [
    ("1", "Формирование соответствующей нормативной базы", "Апрель-июнь 2021",
     date(2021, 4, 1), date(2021, 6, 30), None, [Role.MINISTRY_SPECIALIST]),
    ("2", "Размещение нормативной базы на сайте МП ПМР", "Апрель-август 2021",
     date(2021, 4, 1), date(2021, 8, 31), None, [Role.MINISTRY_SPECIALIST]),
    ("3", "Подготовка группы технической поддержки I уровня", "Апрель-август 2021",
     date(2021, 4, 1), date(2021, 8, 31), None, [Role.AGENCY_STAFF]),
    ("4", "Обучающие семинары для педагогов ООО",
     "Апрель-май 2021 (по индивидуальному графику)",
     date(2021, 4, 1), date(2021, 5, 31), None,
     [Role.DISTRICT_SPECIALIST, Role.AGENCY_STAFF, Role.ICT_METHODIST]),
    ("5", "Серия консультаций для родителей и обучающихся", "Июль-сентябрь 2021",
     date(2021, 7, 1), date(2021, 9, 30), None,
     [Role.SCHOOL_HEAD, Role.ICT_METHODIST, Role.CLASS_TEACHER]),
    ("6", "Издание приказов в ООО", "До 10 июня 2021",
     None, date(2021, 6, 10), None, [Role.SCHOOL_HEAD]),
    ("6.1", "Введение данных об участниках образовательного процесса",
     "до 15 сентября 2021", None, date(2021, 9, 15), None,
     [Role.SCHOOL_HEAD, Role.ICT_METHODIST]),
    ("7", "Заполнение электронного журнала успеваемости", "Сентябрь – май 2021-2022",
     date(2021, 9, 1), date(2022, 5, 31), None, [Role.TEACHER]),
    ("8", "Мониторинг активности родителей и обучающихся", "еженедельно",
     date(2021, 9, 1), date(2022, 8, 31), Recurrence.WEEKLY,
     [Role.DEPUTY_HEAD, Role.CLASS_TEACHER]),
    ("9", "Контроль правильности и своевременности", "Сентябрь – май 2021-2022",
     date(2021, 9, 1), date(2022, 5, 31), None, [Role.DEPUTY_HEAD, Role.ICT_METHODIST]),
    ("10", "Выгрузка данных на бумажные носители", "в конце каждой четверти",
     date(2021, 9, 1), date(2022, 8, 31), Recurrence.SCHOOL_QUARTER,
     [Role.DEPUTY_HEAD, Role.ICT_METHODIST, Role.CLASS_TEACHER]),
    ("11", "Организация совмещенного хранения", "по окончании каждой четверти",
     date(2021, 9, 1), date(2022, 8, 31), Recurrence.SCHOOL_QUARTER,
     [Role.DEPUTY_HEAD]),
    ("12", "Подготовка сводной ведомости успеваемости", "по окончании учебного года",
     date(2021, 9, 1), date(2022, 8, 31), Recurrence.SCHOOL_QUARTER,
     [Role.DEPUTY_HEAD, Role.CLASS_TEACHER]),
    ("13", "Совещание по итогам апробации", "Июнь 2022",
     date(2022, 6, 1), date(2022, 6, 30), None,
     [Role.MINISTRY_SPECIALIST, Role.DISTRICT_SPECIALIST]),
]  # fmt: skip


def test_seed_title_and_school_year_come_from_the_heading(
    seed_plan: ParsedPlan,
) -> None:
    assert seed_plan.title.startswith("План-график мероприятий по внедрению системы")
    assert seed_plan.title.endswith("в 2021-2022 учебном году")
    assert "Приложение" not in seed_plan.title
    assert seed_plan.school_year == "2021-2022"


def test_seed_items_match_the_table_one_by_one(seed_plan: ParsedPlan) -> None:
    assert [item.number for item in seed_plan.items] == [row[0] for row in SEED_TABLE]

    for item, expected in zip(seed_plan.items, SEED_TABLE, strict=True):
        number, title, timing_text, start, due, recurrence, roles = expected
        assert item.title.startswith(title), number
        assert item.timing.text == timing_text, number
        assert (item.timing.start, item.timing.due) == (start, due), number
        assert item.timing.recurrence == recurrence, number
        assert [party.role for party in item.responsible] == roles, number


def test_seed_item_6_1_is_a_child_of_item_6(seed_plan: ParsedPlan) -> None:
    parents = {item.number: item.parent for item in seed_plan.items}

    assert parents["6.1"] == "6"
    assert all(parent is None for number, parent in parents.items() if number != "6.1")


def test_seed_wrapped_row_10_is_joined_cell_by_cell(seed_plan: ParsedPlan) -> None:
    item = next(item for item in seed_plan.items if item.number == "10")

    assert item.title == "Выгрузка данных на бумажные носители"
    assert item.timing.text == "в конце каждой четверти"
    assert [party.text for party in item.responsible] == [
        "Заместители руководителей по УВР",
        "методист по ИКТ",
        "классные руководители",
    ]


def test_seed_item_13_splits_two_parties_written_without_separator(
    seed_plan: ParsedPlan,
) -> None:
    item = next(item for item in seed_plan.items if item.number == "13")

    assert [(party.text, party.level) for party in item.responsible] == [
        ("МП ПМР", Level.MINISTRY),
        ("УНО", Level.DISTRICT),
    ]


def test_seed_agency_party_is_cit(seed_plan: ParsedPlan) -> None:
    item = next(item for item in seed_plan.items if item.number == "3")

    assert item.responsible[0].text == "ГУП «ЦИТ» МП ПМР"
    assert item.responsible[0].org_code == "cit"
    assert item.responsible[0].level is Level.AGENCY


def test_seed_only_warning_is_item_4_remark(seed_plan: ParsedPlan) -> None:
    assert len(seed_plan.warnings) == 1
    item, message = seed_plan.warnings[0]
    assert item == "4"
    assert "по индивидуальному графику" in message
    assert seed_plan.items[3].timing.remark == "по индивидуальному графику"


def test_seed_text_and_docx_parse_to_the_same_plan(
    seed_plan: ParsedPlan, seed_docx_plan: ParsedPlan
) -> None:
    assert parsed_plan_to_json(seed_docx_plan) == parsed_plan_to_json(seed_plan)


def test_seed_json_follows_the_command_line_contract(seed_plan: ParsedPlan) -> None:
    document = parsed_plan_to_json(seed_plan)

    assert set(document) == {"title", "school_year", "items", "warnings"}
    item = document["items"][8]
    assert item == {
        "number": "8",
        "parent": None,
        "title": "Мониторинг активности родителей и обучающихся в системе «Элжур»",
        "timing": {
            "text": "еженедельно",
            "start": "2021-09-01",
            "due": "2022-08-31",
            "recurrence": "weekly",
        },
        "responsible": [
            {
                "text": "Заместители руководителей по УВР",
                "role": "deputy_head",
                "level": "school",
                "agreed": False,
            },
            {
                "text": "классные руководители",
                "role": "class_teacher",
                "level": "school",
                "agreed": False,
            },
        ],
    }
    assert document["warnings"][0]["item"] == "4"
