"""The dashboard's figures as files for a donor: CSV (one section a figure) and XLSX (one
sheet a figure). Aggregated numbers only: no message text, no Telegram ids."""

from __future__ import annotations

import csv
import io

from bot.console.figures import Figure

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def as_csv(shown: list[Figure]) -> str:
    """Each figure: a line with its key, its header, its rows, then an empty line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for figure in shown:
        writer.writerow([f"# {figure.key}"])
        writer.writerow(figure.columns)
        writer.writerows(figure.rows)
        writer.writerow([])
    return out.getvalue()


def as_xlsx(shown: list[Figure]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for figure in shown:
        sheet = book.create_sheet(figure.key[:31])
        sheet.append(list(figure.columns))
        for row in figure.rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
