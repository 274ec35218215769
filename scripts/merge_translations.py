"""Fill the Russian catalogue from translations/pending/*.json, then list gaps.

Run after `make messages`: each JSON file maps English msgids to Russian.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
PENDING = ROOT / "translations" / "pending"


def main() -> int:
    """Merge every pending file; exit 1 when a msgid still lacks Russian."""
    translations: dict[str, str] = {}
    for path in sorted(PENDING.glob("*.json")):
        translations.update(json.loads(path.read_text(encoding="utf-8")))

    with CATALOGUE.open("rb") as source:
        catalogue = read_po(source)
    missing: list[str] = []
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in translations:
            message.string = translations[key]
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(key)
    with CATALOGUE.open("wb") as target:
        write_po(target, catalogue, width=88)

    for key in missing:
        print(f"No Russian for: {key!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
