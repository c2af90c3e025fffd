"""The one error every data source raises: its message is the single line the user sees."""


class DataError(ValueError):
    """Bad or missing data; the message is one line naming the file or what was searched."""


def one_line(text) -> str:
    """Text folded onto one line: library messages may span several, ours never do."""
    return " ".join(str(text).split())
