"""Understand who is responsible: split a cell into parties and map them to roles.

The mapping is data (data/parties.tsv), extended by entries a ministry admin
adds in the app; this module only applies it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workflow.enums import Level, Role

DEFAULT_PARTIES_PATH = Path(__file__).resolve().parents[2] / "data" / "parties.tsv"

QUOTES = re.compile(r"[«»\"“”„'‘’]")
AGREED = re.compile(r"\(\s*по\s+согласованию\s*\)", re.IGNORECASE)
# "Министерство … (далее - МОНиМП НО)" defines a short name used further on.
ALIAS = re.compile(r"\(\s*далее\s*[-–—:]?\s*[-–—]?\s*([^()]+?)\s*\)", re.IGNORECASE)

INITIALS = r"[А-ЯЁ]\.\s?(?:[А-ЯЁ]\.)?"
SURNAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
PERSON = re.compile(rf"(?:{INITIALS}\s?{SURNAME}|{SURNAME}\s?{INITIALS})")


@dataclass(frozen=True)
class PartyEntry:
    """One line of the party dictionary: a name pattern and what it maps to."""

    pattern: str
    role: Role
    level: Level
    org_code: str | None = None

    @classmethod
    def for_name(
        cls, name: str, role: Role, level: Level, org_code: str | None = None
    ) -> PartyEntry:
        """An entry matching one plain name as written (what an admin types)."""
        return cls(re.escape(normalise_party(name)), role, level, org_code)

    def matches(self, normalised_name: str) -> bool:
        """Tell whether a normalised party name is this entry's."""
        return re.fullmatch(self.pattern, normalised_name) is not None


@dataclass(frozen=True)
class Party:
    """One responsible party of an item; agreed marks "(по согласованию)"."""

    text: str
    role: Role | None
    level: Level | None
    org_code: str | None = None
    agreed: bool = False


@dataclass
class PartyDictionary:
    """The entries parties are matched against, first match winning."""

    entries: list[PartyEntry]
    aliases: dict[str, str] = field(default_factory=dict)

    def with_entries(self, extra: Iterable[PartyEntry]) -> PartyDictionary:
        """A dictionary where the extra entries (from the app) come first."""
        return PartyDictionary([*extra, *self.entries], dict(self.aliases))

    def lookup(self, name: str) -> PartyEntry | None:
        """The entry for a party name (or a short name defined in the plan)."""
        normalised = normalise_party(name)
        normalised = self.aliases.get(normalised, normalised)
        return next(
            (entry for entry in self.entries if entry.matches(normalised)), None
        )


def normalise_party(name: str) -> str:
    """Lower a party name, drop quotes and even out "ё" and spaces."""
    name = QUOTES.sub(" ", name.lower().replace("ё", "е"))
    return " ".join(name.replace(" - ", "-").split()).strip(" .,;")


def read_party_dictionary(text: str) -> list[PartyEntry]:
    """Read entries from the TSV form of the dictionary ('#' lines are comments)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    entries = []
    for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter="\t"):
        org_code = (row.get("org_code") or "").strip() or None
        entries.append(
            PartyEntry(row["pattern"], Role(row["role"]), Level(row["level"]), org_code)
        )
    return entries


def load_party_dictionary(
    extra: Iterable[PartyEntry] = (), path: Path = DEFAULT_PARTIES_PATH
) -> PartyDictionary:
    """The shipped dictionary from data/parties.tsv, with extra entries first."""
    shipped = read_party_dictionary(path.read_text(encoding="utf-8"))
    return PartyDictionary(shipped).with_entries(extra)


def understand_parties(
    text: str, dictionary: PartyDictionary
) -> tuple[list[Party], list[str]]:
    """Split a responsible cell into parties, in order; the first party leads.

    Aliases defined in the cell are added to the dictionary, so later items of
    the same plan may use them. Returns the parties and warnings.
    """
    text = define_aliases(" ".join(text.split()), dictionary)
    parties: list[Party] = []
    warnings: list[str] = []

    for chunk in split_top_level(text):
        agreed = AGREED.search(chunk) is not None
        chunk = AGREED.sub(" ", chunk).strip(" ;")
        if not chunk:
            continue

        for name in split_chunk(chunk, dictionary):
            entry = dictionary.lookup(name)
            if entry is None:
                parties.append(Party(name, None, None, None, agreed))
                warnings.append(unknown_party_warning(name))
            else:
                parties.append(
                    Party(name, entry.role, entry.level, entry.org_code, agreed)
                )

    return parties, warnings


def unknown_party_warning(name: str) -> str:
    """The warning for a party the dictionary does not know."""
    if PERSON.fullmatch(name):
        return (
            f"Ответственный «{name}» — сотрудник, а не организация: укажите его "
            "роль при проверке."
        )
    return (
        f"Ответственный «{name}» не найден в справочнике: укажите роль и уровень "
        "при проверке или добавьте его в справочник."
    )


def define_aliases(text: str, dictionary: PartyDictionary) -> str:
    """Record "Полное имя (далее - ПИ)" as an alias and keep the full name only."""
    for match in ALIAS.finditer(text):
        before = text[: match.start()]
        full_name = re.split(r"[,;]", before)[-1]
        dictionary.aliases[normalise_party(match.group(1))] = normalise_party(full_name)
    return ALIAS.sub("", text)


def split_top_level(text: str) -> list[str]:
    """Split on commas and semicolons that are not inside parentheses."""
    chunks: list[str] = []
    depth = 0
    current = ""
    for character in text:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character in ",;" and depth == 0:
            chunks.append(current)
            current = ""
        else:
            current += character
    chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def split_chunk(chunk: str, dictionary: PartyDictionary) -> list[str]:
    """Split one comma-free chunk into party names where that makes it known.

    A known name stays whole ("ГУП «ЦИТ» МП ПМР"). Otherwise try persons
    ("Иванов И.И. Петров П.П."), then " и ", then known names written one
    after another without a separator ("МП ПМР УНО").
    """
    if dictionary.lookup(chunk) is not None:
        return [chunk]

    persons = PERSON.findall(chunk)
    if persons and not PERSON.sub("", chunk).strip(" и"):
        return [person.strip() for person in persons]

    pieces = [piece.strip() for piece in re.split(r"\s+и\s+", chunk)]
    if len(pieces) > 1 and all(dictionary.lookup(piece) for piece in pieces):
        return pieces

    segments = segment_known_names(chunk.split(), dictionary)
    return segments if segments is not None else [chunk]


def segment_known_names(
    words: list[str], dictionary: PartyDictionary
) -> list[str] | None:
    """Cut words into known names, longest first; None if some words stay unknown."""
    if not words:
        return []

    for end in range(len(words), 0, -1):
        name = " ".join(words[:end])
        if dictionary.lookup(name) is None:
            continue
        rest = segment_known_names(words[end:], dictionary)
        if rest is not None:
            return [name, *rest]
    return None
