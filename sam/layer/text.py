"""Plain-text formatting for the build's messages and summary."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """Format rows as a plain-text table with right-aligned columns after the first.

    Parameters
    ----------
    rows : sequence of sequence of str
        Table body.
    header : sequence of str
        Column titles.

    Returns
    -------
    str
        The table, one line per row, with a rule under the header.
    """
    table = [list(header)] + [list(row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(table[0]), rule] + [line(row) for row in table[1:]])


def shorten_list(items: Sequence[str], shown: int = 5) -> str:
    """Join the first items of a list and say how many more there are.

    Parameters
    ----------
    items : sequence of str
        Items to show.
    shown : int
        How many to name.

    Returns
    -------
    str
        E.g. ``'a, b, c and 4 more'``.

    Examples
    --------
    >>> shorten_list(["a", "b", "c"], shown=2)
    'a, b and 1 more'
    """
    text = ", ".join(items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")
