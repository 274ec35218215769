"""Read a plan document from disk for the command line, explaining every failure."""

from __future__ import annotations

from pathlib import Path

from workflow.plans.errors import PlanReadError
from workflow.plans.formats import MAX_PLAN_BYTES, too_large_error


def read_document(path: Path) -> bytes:
    """The bytes of a plan document; PlanReadError when there are none to read.

    The size is checked before reading, so a huge file is refused at once.
    """
    try:
        if path.is_dir():
            raise PlanReadError(
                f"«{path}» — это папка, а не файл. Укажите файл плана-графика."
            )
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise too_large_error(path.name)
        return path.read_bytes()
    except FileNotFoundError as error:
        raise PlanReadError(
            f"Файл «{path}» не найден. Проверьте путь и имя файла."
        ) from error
    except OSError as error:
        raise PlanReadError(
            f"Файл «{path}» не открывается ({error.strerror or error}). "
            "Проверьте права доступа к файлу."
        ) from error
