"""Input formats of the site's languages (settings.FORMAT_MODULE_PATH).

Form widgets render a date or datetime with the first of the language's input formats.
Django's Chinese formats start with `2026/11/28` and `2026/12/01 20:15`, which
`<input type="date">` and `<input type="datetime-local">` cannot show: the field came up
blank, and re-saving a form lost the date. Here every language renders ISO first
(`2026-11-28`, `2026-12-01T20:15`) and still reads what people type in their own way.
"""

ISO_DATE_FIRST = ["%Y-%m-%d"]
ISO_DATETIME_FIRST = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def iso_first(first: list[str], rest: list[str]) -> list[str]:
    """`first`, then the language's own formats without repeating any."""
    return [*first, *(f for f in rest if f not in first)]
