"""Dated, attributed incidents read from a CSV file (ACLED-shaped) as event times in days.

A time is a day number (``12.5``), an ISO date (``2016-07-15``, or ACLED's older
``15 July 2016``) or an ISO datetime (``2016-07-15T14:30``; with a time zone, taken in UTC).
Dates have day resolution, and so have day numbers when every one of them is whole: the
``k`` events of one day are spread within it at ``k`` sorted uniform times drawn from a
generator seeded by ``(seed, day)``, in file order (the day-spreading rule, :func:`spread_days`):
reproducible, no two coincide, and the rescaled residuals keep their exponential law.
Leading lines that start with ``#`` are comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import DataError, UsageError
from sim.scenario.yamlload import yaml_problem
from sim.stats.hawkes import History
from sim.store import Unreadable, read_input

if TYPE_CHECKING:
    from sim.engine.world import World

MAX_BYTES = 200_000_000
MAX_PARTIES = 8
NUMBER, DATE, DATETIME = "number", "date", "datetime"


@dataclass(frozen=True)
class Incidents:
    """Every incident of a file: time (days), actor and line, in file order."""

    source: str
    times: np.ndarray
    actors: tuple[str, ...]
    lines: tuple[int, ...]
    calendar: bool
    spread: int

    def first_line(self, actor: str) -> int:
        """Line of the actor's first incident."""
        return self.lines[self.actors.index(actor)]


@dataclass(frozen=True)
class Selection:
    """The parties, spoilers and window chosen from a file, as a :class:`History`."""

    history: History
    parties: list[str]
    spoilers: list[str]
    start: float
    end: float
    calendar: bool
    outside: int
    dropped: dict[str, int] = field(default_factory=dict)

    def label(self, day: float) -> str:
        """A window bound as the user gave it: an ISO date, or a day number."""
        return day_label(self.calendar, day)


def day_label(calendar: bool, day: float) -> str:
    """An ISO date (calendar days) or a day number."""
    if calendar:
        ordinal = int(math.floor(day))
        if ordinal > dt.date.max.toordinal():  # the exclusive end of a window closing 9999-12-31
            return f"{dt.date.max.isoformat()} + {ordinal - dt.date.max.toordinal()} day(s)"
        return dt.date.fromordinal(max(ordinal, 1)).isoformat()
    return f"{day:g}"


# --- reading ------------------------------------------------------------------------------


def read(path: str | Path, time_column: str = "event_date", actor_column: str = "actor1",
         spread_seed: int = 0, types: list[str] | None = None,
         type_column: str = "event_type") -> Incidents:
    """Read incidents from a CSV file; with ``types``, only the rows whose ``type_column``
    is one of them (ACLED's ``event_type``: ``Battles``, ``Violence against civilians``...).

    Raises:
        DataError: the file is missing, binary, empty, lacks a column, or has a bad row; the
            message names the file and the line; or no row has one of ``types``.
    """
    source = str(path)
    text = _text(source)
    offset, body = _skip_comments(text)
    reader = csv.reader(io.StringIO(body), strict=True)  # an unterminated quote is an error
    header = _header(source, reader, offset)
    names = (time_column, actor_column) + ((type_column,) if types else ())
    cols = [_column(source, header, name, offset + 1) for name in names]
    rows = _rows(source, reader, offset, cols, len(header))
    if not rows:
        raise DataError(source, offset + 1, "no incidents: the file has a header and no rows")
    if types:
        kept = [r[:3] for r in rows if r[3] in types]
        if not kept:
            seen = sorted({r[3] for r in rows})[:8]
            raise DataError(source, None, f"no row has {type_column} in {types}; the file's "
                            f"{type_column} values include {seen}")
        rows = kept
    return _assemble(source, rows, time_column, spread_seed)


def _text(source: str) -> str:
    try:
        raw = read_input(source, MAX_BYTES, "CSV file")
    except Unreadable as exc:
        raise DataError(source, None, exc.reason) from None
    if b"\x00" in raw[:65536]:
        raise DataError(source, None, "binary file (NUL bytes); expected CSV text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(source, line, f"not UTF-8 text (bad byte at offset {exc.start})") from None


def _skip_comments(text: str) -> tuple[int, str]:
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].lstrip().startswith("#"):
        n += 1
    return n, "".join(lines[n:])


def _header(source: str, reader: Any, offset: int) -> list[str]:
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise DataError(source, offset + 1, f"not a CSV header: {exc}") from None
    if not header or not any(h.strip() for h in header):
        raise DataError(source, None, "empty file; expected a header row naming the columns")
    return [h.strip() for h in header]


def _column(source: str, header: list[str], name: str, line: int) -> int:
    if name in header:
        return header.index(name)
    match = difflib.get_close_matches(name, header, n=1, cutoff=0.6)
    hint = f"; did you mean {match[0]!r}?" if match else ""
    raise DataError(source, line, f"no column {name!r}{hint} (columns: {', '.join(header)})")


def _rows(source: str, reader: Any, offset: int, cols: list[int],
          width: int) -> list[tuple[Any, ...]]:
    rows = []
    line = offset + reader.line_num  # the last row's line: a bad row starts after it
    try:
        for row in reader:
            line = offset + reader.line_num
            if not row or not any(x.strip() for x in row):
                continue
            if len(row) <= max(cols):
                raise DataError(source, line, f"{len(row)} fields where the header has {width}")
            rows.append((line, *(row[c].strip() for c in cols)))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):  # else the rest of the file is one field
            raise DataError(source, line + 1, "a quote is opened and never closed") from None
        raise DataError(source, offset + reader.line_num, f"not valid CSV: {exc}") from None
    return rows


def _assemble(source: str, rows: list[tuple[Any, ...]], time_column: str,
              seed: int) -> Incidents:
    kinds, values = [], []
    seen: dict[str, tuple[str, float]] = {}  # a stamp is parsed once (dates repeat a lot)
    for line, stamp, actor in rows:
        if not actor:
            raise DataError(source, line, "empty actor")
        parsed = seen.get(stamp)
        if parsed is None:
            parsed = seen[stamp] = _stamp(source, line, stamp, time_column)
        kinds.append(parsed[0])
        values.append(parsed[1])
    calendar = _calendar(source, rows, kinds)
    times = np.array(values)
    whole = not calendar and bool(np.all(times == np.floor(times)))
    daily = np.array([k == DATE or whole for k in kinds])
    times[daily] = spread_days(times[daily], seed)
    return Incidents(source, times, tuple(r[2] for r in rows), tuple(r[0] for r in rows),
                     calendar, int(daily.sum()))


def _calendar(source: str, rows: list[tuple[Any, ...]], kinds: list[str]) -> bool:
    """Whether times are calendar days; a file may not mix them with day numbers."""
    numbers = [k == NUMBER for k in kinds]
    if all(numbers) or not any(numbers):
        return not numbers[0]
    bad = numbers.index(not numbers[0])
    raise DataError(source, rows[bad][0], f"time {rows[bad][1]!r} mixes day numbers and dates "
                    "in one column")


def parse_time(text: str) -> tuple[str, float] | None:
    """``(kind, days)`` of a day number, date or datetime; None when it is none of them.

    Calendar times are proleptic Gregorian ordinals (day 1 = 0001-01-01) plus the fraction
    of the day.
    """
    try:
        x = float(text)
    except ValueError:
        pass
    else:
        return (NUMBER, x) if math.isfinite(x) else None
    for fmt in ("%Y-%m-%d", "%d %B %Y"):
        try:
            return DATE, float(dt.datetime.strptime(text, fmt).toordinal())
        except ValueError:
            pass
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is not None:  # OverflowError past the calendar's ends, for the caller
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    seconds = stamp.hour * 3600 + stamp.minute * 60 + stamp.second + stamp.microsecond / 1e6
    return DATETIME, stamp.toordinal() + seconds / 86400


def _stamp(source: str, line: int, text: str, column: str) -> tuple[str, float]:
    if not text:
        raise DataError(source, line, f"empty {column}")
    try:
        parsed = parse_time(text)
    except OverflowError:
        raise DataError(source, line, f"{column} {text!r} is outside the calendar (0001-01-01 "
                        "to 9999-12-31, in UTC)") from None
    if parsed is None:
        raise DataError(source, line, f"cannot read {column} {text!r}: expected a date "
                        "(2016-07-15), a datetime (2016-07-15T14:30) or a day number")
    return parsed


def spread_days(days: np.ndarray, seed: int = 0) -> np.ndarray:
    """The day-spreading rule: the k events of a day at k sorted uniform times within it.

    The uniforms of day ``d`` come from ``numpy.random.default_rng([seed, d])``, so the
    placement is reproducible and depends on that day's events only; the events keep their
    file order within the day. Even spacing would make the rescaled residuals too regular.
    """
    day = np.floor(days)
    out = np.empty(days.size)
    for d in np.unique(day):
        where = np.flatnonzero(day == d)
        u = np.random.default_rng([seed, int(d)]).uniform(size=where.size)
        out[where] = d + np.sort(u)
    return out


# --- naming actors: which source actors are which party or spoiler --------------------------


@dataclass(frozen=True)
class Mapping:
    """Source actors named as the scenario's parties and spoilers (several source names may
    be one actor: ``government: [Military Forces of Syria, Police Forces of Syria]``)."""

    parties: dict[str, list[str]]
    spoilers: dict[str, list[str]]

    def name_of(self) -> dict[str, str]:
        return {src: name for group in (self.parties, self.spoilers)
                for name, sources in group.items() for src in sources}


def read_mapping(path: str | Path) -> Mapping:
    """An actor mapping from YAML (``parties: {NAME: [SOURCE, ...]}``, ``spoilers: {...}``)
    or CSV (columns ``source,actor,role``, role ``party`` or ``spoiler``).

    Raises:
        DataError: the file is missing or not in either form, or a source actor is named
            twice (names the file and, for CSV, the line).
    """
    source = str(path)
    text = _text(source)
    if source.lower().endswith(".csv"):
        return _mapping_csv(source, text)
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:  # one line: where and what, not PyYAML's several
        line, _, what = yaml_problem(exc)
        raise DataError(source, line, f"not valid YAML: {what}") from None
    if not isinstance(data, dict) or not set(data) <= {"parties", "spoilers"} or not data:
        raise DataError(source, None, "expected 'parties:' and 'spoilers:' blocks, each "
                        "{NAME: [SOURCE ACTOR, ...]}")
    groups = [_group(source, data.get(k) or {}, k) for k in ("parties", "spoilers")]
    return _checked(source, Mapping(groups[0], groups[1]))


def _group(source: str, block: Any, key: str) -> dict[str, list[str]]:
    if not isinstance(block, dict):
        raise DataError(source, None, f"{key}: expected {{NAME: [SOURCE ACTOR, ...]}}")
    return {str(k): [str(x) for x in (v if isinstance(v, list) else [v])]
            for k, v in block.items()}


def _mapping_csv(source: str, text: str) -> Mapping:
    reader = csv.DictReader(io.StringIO(text))
    if not {"source", "actor", "role"} <= set(reader.fieldnames or []):
        raise DataError(source, 1, "expected the columns source,actor,role")
    groups: dict[str, dict[str, list[str]]] = {"party": {}, "spoiler": {}}
    for row in reader:
        role = (row["role"] or "").strip()
        if role not in groups:
            raise DataError(source, reader.line_num, f"role {role!r}: expected party or spoiler")
        groups[role].setdefault(row["actor"].strip(), []).append(row["source"].strip())
    return _checked(source, Mapping(groups["party"], groups["spoiler"]))


def _checked(source: str, mapping: Mapping) -> Mapping:
    seen: dict[str, str] = {}
    for group in (mapping.parties, mapping.spoilers):
        for name, sources in group.items():
            for src in sources:
                if src in seen:
                    raise DataError(source, None, f"source actor {src!r} is named twice "
                                    f"({seen[src]} and {name})")
                seen[src] = name
    if not mapping.parties:
        raise DataError(source, None, "no parties: name at least one")
    return mapping


def renamed(inc: Incidents, mapping: Mapping) -> Incidents:
    """The incidents with each mapped source actor under its party or spoiler name (the rest
    keep their names and are left out of the fit, and counted)."""
    names = mapping.name_of()
    return replace(inc, actors=tuple(names.get(a, a) for a in inc.actors))


# --- choosing parties, spoilers and the window --------------------------------------------


def select(inc: Incidents, parties: list[str] | None = None, spoilers: list[str] | None = None,
           start: str | None = None, end: str | None = None) -> Selection:
    """Choose the parties (modelled), spoilers (exogenous) and window of the fit.

    Without ``parties``, every actor that is not a spoiler is a party (in order of first
    appearance). Actors that are neither are dropped, and counted.

    Raises:
        UsageError: a bound cannot be read, the window is empty, an actor is both party and
            spoiler, or there are too many parties.
        DataError: a party or spoiler has no events in the window (names the file).
    """
    lo, hi = _window(inc, start, end)
    inside = (inc.times >= lo) & (inc.times < hi)
    spoilers = list(spoilers or [])
    chosen = _parties(inc, parties, spoilers)
    times = {a: inc.times[inside & (np.array(inc.actors) == a)] - lo for a in chosen + spoilers}
    for actor in chosen + spoilers:
        _require_events(inc, actor, times[actor], spoilers, (lo, hi))
    kept = set(chosen + spoilers)
    dropped: dict[str, int] = {}
    for actor, ok in zip(inc.actors, inside, strict=True):
        if ok and actor not in kept:
            dropped[actor] = dropped.get(actor, 0) + 1
    history = History.of([times[a] for a in chosen], [times[s] for s in spoilers], hi - lo)
    return Selection(history, chosen, spoilers, lo, hi, inc.calendar, int((~inside).sum()),
                     dropped)


def _parties(inc: Incidents, parties: list[str] | None, spoilers: list[str]) -> list[str]:
    both = set(parties or []) & set(spoilers)
    if both:
        raise UsageError(f"{sorted(both)[0]!r} is given both as a party and as a spoiler")
    chosen = parties or [a for a in dict.fromkeys(inc.actors) if a not in spoilers]
    if not chosen:
        raise DataError(inc.source, None, "no parties: every actor is a spoiler")
    if len(chosen) > MAX_PARTIES:
        raise UsageError(f"{len(chosen)} parties (the file has {len(set(inc.actors))} actors); "
                         f"at most {MAX_PARTIES}: choose them with <<parties>> A,B")
    return chosen


def _require_events(inc: Incidents, actor: str, times: np.ndarray, spoilers: list[str],
                    window: tuple[float, float]) -> None:
    if times.size:
        return
    role = "spoiler" if actor in spoilers else "party"
    if actor not in inc.actors:
        near = difflib.get_close_matches(actor, list(dict.fromkeys(inc.actors)), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise DataError(inc.source, None, f"no events for {role} {actor!r} in the file{hint}")
    raise DataError(inc.source, inc.first_line(actor),
                    f"no events for {role} {actor!r} in the window "
                    f"[{day_label(inc.calendar, window[0])}, {day_label(inc.calendar, window[1])})")


def _window(inc: Incidents, start: str | None, end: str | None) -> tuple[float, float]:
    lo = float(np.floor(inc.times.min())) if start is None else _bound(inc, start, "--start")
    if end is None:
        hi = float(np.floor(inc.times.max())) + 1
    else:  # an end date is the window's last day
        hi = _bound(inc, end, "--end") + (1.0 if _is_date(end) else 0.0)
    if hi <= lo:
        raise UsageError(f"the window [{day_label(inc.calendar, lo)}, "
                         f"{day_label(inc.calendar, hi)}) is empty")
    return lo, hi


def _is_date(text: str) -> bool:
    parsed = parse_time(text.strip())
    return parsed is not None and parsed[0] == DATE


def _bound(inc: Incidents, text: str, option: str) -> float:
    parsed = parse_time(text.strip())
    if parsed is None:
        raise UsageError(f"{option} {text!r}: expected a date, a datetime or a day number")
    if (parsed[0] != NUMBER) != inc.calendar:
        want = "a date or datetime" if inc.calendar else "a day number"
        raise UsageError(f"{option} {text!r}: the file's times are "
                         f"{'dates' if inc.calendar else 'day numbers'}, so give {want}")
    return parsed[1]


# --- incidents from the simulator ---------------------------------------------------------


def story_rows(world: World) -> list[tuple[float, str, str]]:
    """``(day, actor, kind)`` of every violation and spoiler attack in a traced replication."""
    rows = []
    for entry in world.story:
        if entry.kind == "violation":
            rows.append((entry.day, str(entry.data["party"]), "violation"))
        elif entry.kind == "attack":
            rows.append((entry.day, str(entry.data["spoiler"]), "attack"))
    return rows


def write_csv(rows: list[tuple[float, str, str]], start: dt.date, header: str = "") -> str:
    """ACLED-shaped CSV text (``event_date``, ``actor1``, ``event_type``, ``day``)."""
    out = io.StringIO()
    out.write(header)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["event_date", "actor1", "event_type", "day"])
    for day, actor, kind in rows:
        date = start + dt.timedelta(days=math.floor(day))
        writer.writerow([date.isoformat(), actor, kind, f"{day:.4f}"])
    return out.getvalue()


def simulated(scenario_path: str | Path, replication: int = 0) -> str:
    """CSV text of the violations and attacks of one replication played by negsim's engine.

    A header comment names the scenario and its true parameters. Used to make the shipped
    ``scenarios/examples/incidents_synthetic.csv`` (``scripts/make_incidents_example.py``).
    """
    from sim.engine import Plan, play
    from sim.scenario import load

    scenario = load(scenario_path)
    world = play(Plan(scenario), replication, tracing=True)
    truce = scenario.model_dump(mode="json")["truce"]
    spoilers = {k: v["excites"] for k, v in scenario.model_dump(mode="json")["spoilers"].items()}
    rates = {k: a.violation_rate if k in truce["parties"] else a.attack_rate
             for k, a in scenario.actors.items()}
    header = (f"# Synthetic incidents: replication {replication} of {Path(scenario_path).name} "
              f"(seed {scenario.seed}), played by negsim's engine; day 0 = {scenario.start}.\n"
              f"# Truth: rates {json.dumps(rates)}; alpha {json.dumps(truce['alpha'])}; "
              f"beta {truce['beta']}; spoilers excite {json.dumps(spoilers)}.\n")
    return write_csv(story_rows(world), scenario.start, header)
