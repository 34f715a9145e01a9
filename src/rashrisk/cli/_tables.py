"""Tables that fit the terminal: a Rich table when it fits, else one block per row.

Rich shrinks a too-wide table by cutting cells anywhere, so ``rs4129267`` used to come out as
``rs412`` / ``9267`` at 80 columns. Here the column widths are chosen before Rich sees them:

- a ``no_wrap`` column (an identifier: rsid, patient, rule id) is never wrapped;
- other columns wrap between words, never inside one (headers included);
- if that does not fit, the table loses its outer border and outer padding (4 cells);
- if even that does not fit the console, the table is printed as a list: for each row its first
  cell, then one ``header: value`` line per other column.

Cells and titles are Rich markup strings; escape user values before passing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Col:
    """A column: its header, alignment, and whether its cells may never be wrapped (identifiers)."""

    header: str
    justify: str = "left"
    no_wrap: bool = False


def _plain(markup: str) -> str:
    from rich.text import Text

    return Text.from_markup(markup).plain


def _longest_word(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(word) for line in text.splitlines() for word in line.split()), default=0)


def _longest_line(text: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in text.splitlines()), default=0)


def _lines(text: str, width: int) -> int:
    """Lines that ``text`` takes when wrapped between words at ``width`` cells (no word is longer)."""
    from rich.cells import cell_len

    count = 0
    for line in text.splitlines() or [""]:
        count += 1
        used = 0
        for word in line.split():
            size = cell_len(word)
            if used and used + 1 + size > width:
                count += 1
                used = size
            else:
                used += size + (1 if used else 0)
    return count


def column_widths(columns: Sequence[Col], rows: Sequence[Sequence[str]], available: int, *,
                  compact: bool = False) -> list[int] | None:
    """Content widths (without padding) that fit ``available`` cells of table, or None if the
    table cannot fit without breaking a no_wrap cell or a word. ``compact``: a table without
    outer border and outer padding.

    Columns are narrowed one cell at a time, each time the one whose narrowing adds the fewest
    lines to the table (a header that wraps costs one line, a body column one line per row)."""
    cells = [[columns[i].header, *(_plain(str(row[i])) for row in rows)] for i in range(len(columns))]
    natural = [max(_longest_line(c) for c in col) or 1 for col in cells]
    minimum = [nat if column.no_wrap else max(_longest_word(c) for c in col) or 1
               for nat, column, col in zip(natural, columns, cells)]
    # padding 1+1 per cell and the vertical lines; compact: none at the two edges
    budget = available - (3 * len(columns) + (-3 if compact else 1))
    if sum(minimum) > budget:
        return None
    widths = list(natural)
    lines = [[_lines(c, w) for c in col] for col, w in zip(cells, widths)]

    def height(candidate: int, candidate_lines: list[int]) -> int:
        per_column = [candidate_lines if j == candidate else lines[j] for j in range(len(widths))]
        return sum(max(cell) for cell in zip(*per_column))

    while sum(widths) > budget:
        best = None
        for j in range(len(widths)):
            if widths[j] > minimum[j]:
                trial = [_lines(c, widths[j] - 1) for c in cells[j]]
                rank = (height(j, trial), -widths[j])
                if best is None or rank < best[0]:
                    best = (rank, j, trial)
        _, j, trial = best
        widths[j] -= 1
        lines[j] = trial
    return widths


def print_table(console, columns: Sequence[Col], rows: Sequence[Sequence[str]], *, title: str | None = None,
                title_style: str | None = None, caption: str | None = None) -> bool:
    """Print ``rows`` as a table that fits ``console`` (or as a list). True if printed as a table."""
    from rich import box
    from rich.table import Table

    style = {}
    widths = column_widths(columns, rows, console.width)
    if widths is None:
        widths = column_widths(columns, rows, console.width, compact=True)
        style = {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False}
    if widths is None:
        _print_list(console, columns, rows, title=title, title_style=title_style, caption=caption)
        return False
    table = Table(title=title, title_style=title_style, caption=caption, **style)
    for column, width in zip(columns, widths):
        table.add_column(column.header, justify=column.justify, width=width, no_wrap=column.no_wrap,
                         overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    return True


def _print_list(console, columns, rows, *, title, title_style, caption) -> None:
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    # wrapped at the console width (also on a soft-wrap console), continuation lines indented
    if title:
        console.print(title, style=title_style or "bold", soft_wrap=False)
    for row in rows:
        console.print(f"[bold]{row[0]}[/]", soft_wrap=False)
        for column, cell in zip(columns[1:], row[1:]):
            line = Text.from_markup(f"{escape(column.header)}: {cell}")
            console.print(Padding(line, (0, 0, 0, 2), expand=False), soft_wrap=False)
    if caption:
        console.print(caption, soft_wrap=False)
