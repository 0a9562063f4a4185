"""How runs are shown: rich's live display on a terminal, plain lines anywhere else (logs, CI)."""

from __future__ import annotations

from typing import TextIO

from compiler.runs.follow import Outcome


def duration(seconds) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def for_stream(stream: TextIO):
    """Rich on a terminal (colour, a progress bar for Map runs); plain lines otherwise."""
    if stream.isatty():
        try:
            return RichDisplay(stream)
        except ImportError:  # rich is a dependency; a broken install still gets plain output
            pass
    return PlainDisplay(stream)


class PlainDisplay:
    """One line per event, nothing redrawn: quiet in logs. Map progress only when it moves by 10%."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.reported: dict[str, int] = {}

    def state_entered(self, name: str) -> None:
        self._line(f"  started   {name}")

    def state_exited(self, name: str, seconds: float) -> None:
        self._line(f"  finished  {name} ({duration(seconds)})")

    def map_progress(self, name: str, done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if self.reported.get(name) != tenth:
            self.reported[name] = tenth
            self._line(f"  progress  {name}: {done}/{total} items")

    def finished(self, outcome: Outcome) -> None:
        self._line(f"{outcome.status} in {duration(outcome.seconds)}" + _failure(outcome))

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()


class RichDisplay:
    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = Console(file=stream)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 console=self.console, transient=True)
        self.bars: dict[str, int] = {}
        from rich.markup import escape

        self.escape = escape  # state names and AWS error causes are text, never markup

    def state_entered(self, name: str) -> None:
        self.console.print(f"  [cyan]started[/]   {self.escape(name)}", highlight=False)

    def state_exited(self, name: str, seconds: float) -> None:
        self.console.print(f"  [green]finished[/]  {self.escape(name)} [dim]({duration(seconds)})[/]", highlight=False)

    def map_progress(self, name: str, done: int, total: int) -> None:
        if name not in self.bars:
            self.progress.start()
            self.bars[name] = self.progress.add_task(name, total=total)
        self.progress.update(self.bars[name], completed=done, total=total)

    def finished(self, outcome: Outcome) -> None:
        if self.bars:
            self.progress.stop()
        colour = "green" if outcome.ok else "red"
        self.console.print(f"[bold {colour}]{outcome.status}[/] in {duration(outcome.seconds)}"
                           f"{self.escape(_failure(outcome))}", highlight=False)


def _failure(outcome: Outcome) -> str:
    if outcome.ok:
        return ""
    return f": {outcome.error or 'no error name'}" + (f": {outcome.cause}" if outcome.cause else "")


def table(rows: list[dict], columns: list[tuple[str, str]], stream: TextIO) -> None:
    """Rows as an aligned table: rich's on a terminal, plain columns otherwise."""
    cells = [[str(row.get(key, "")) for key, _ in columns] for row in rows]
    if stream.isatty():
        from rich.console import Console
        from rich.table import Table

        rich_table = Table(*[title for _, title in columns])
        for line in cells:
            rich_table.add_row(*line)
        Console(file=stream).print(rich_table)
        return
    widths = [max([len(title)] + [len(line[i]) for line in cells]) for i, (_, title) in enumerate(columns)]
    for line in [[title for _, title in columns]] + cells:
        stream.write("  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() + "\n")
