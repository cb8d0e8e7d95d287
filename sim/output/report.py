"""A self-contained HTML report of a run, compare or sweep folder.

Everything taken from a scenario file or a results folder is escaped; images are inlined
as data URIs; the page has no script and refers to nothing outside itself.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from pathlib import Path
from typing import Any

import yaml

from sim.engine.outcomes import GROUPS, meaning
from sim.errors import NegsimError, UsageError
from sim.operations.run import TRACES
from sim.operations.statistics import STATISTICS
from sim.output.render import pvalue, sensitivity_line
from sim.output.text import HEADING_TEXT, shorten
from sim.scenario import Effect, Scenario, loads
from sim.store import (
    kind_of,
    read_bytes,
    read_json,
    read_manifest,
    record_written,
    refuse_existing,
    write_bytes,
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
max-width:60rem;padding:1rem;line-height:1.45;color:#222;overflow-wrap:anywhere}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:2rem}
h3{font-size:1.05rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:normal}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}
pre{white-space:pre-wrap;font-size:.8rem;background:#f6f6f6;padding:.5rem}
code{overflow-wrap:anywhere}details{margin:.5rem 0}summary{cursor:pointer}
.muted{color:#666;font-size:.9rem}
.nb{white-space:nowrap}
@media (max-width:600px){body{padding:.5rem}table{font-size:.8rem}
th,td{padding:.15rem .3rem}td.n{white-space:nowrap}}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;padding:0}h2{page-break-after:avoid}
img,table{page-break-inside:avoid}.scroll{overflow:visible}table{font-size:8pt}
img{max-width:100%}}
"""

BLOCK_COLUMNS = 5
"""Value columns in one block of a wide table (beside the column that names a row): five
"0.123 ± 0.012" cells and the key fit the width of an A4 page, and a phone scrolls less."""


def e(value: Any) -> str:
    """Escape any value for HTML text or attributes."""
    return html.escape(str(value), quote=True)


def build(folder: Path, stem: str = "report") -> str:
    """The report of a results folder as one HTML string.

    Args:
        folder: A run, compare or sweep folder.
        stem: The report file's stem, which names its scenario files in the commands.

    Raises:
        UsageError: the folder is not a negsim run, compare or sweep folder.
    """
    kind = kind_of(folder)
    if kind == "compare":
        return _page("Comparison", _compare(folder, stem), folder)
    if kind == "sweep":
        return _page("Sweep", _sweep(folder, stem), folder)
    if kind == "run" and (folder / "summary.json").exists():
        return _page("Run", _run(folder, stem), folder)
    if kind == "tornado":
        raise UsageError(f"{folder} is a tornado folder: its table is tornado.json and its "
                         "chart tornado.png; reports are made of run, compare and sweep folders")
    raise UsageError(f"{folder} is not a negsim run, compare or sweep folder "
                     "(no summary.json, compare.json or sweep.json)")


def write(folder: Path, out: Path | None = None, force: bool = False) -> Path:
    """Write the report next to the results (or to ``out``) and return its path.

    The scenario files the report's commands name (``STEM-scenario.yaml``, one per arm for
    a compare, and ``STEM-points.csv`` for a sweep) are written next to it. A file the user
    named (``out`` and its side files) that exists is kept unless ``force``.

    Raises:
        UsageError: ``out`` or a side file exists and ``force`` is not set.
    """
    target = out or folder / "report.html"
    text = build(folder, target.stem)
    files = {target.name: text, **side_files(folder, target.stem)}
    if out is not None:
        for name in files:
            refuse_existing(target.with_name(name), force)  # before anything is written
    for name, content in reversed(files.items()):  # the page last
        write_bytes(target.with_name(name), content.encode("utf-8", "replace"),
                    None if out else folder)
    if out is None:
        record_written(folder, [target.with_name(n) for n in files])
    return target


def side_files(folder: Path, stem: str = "report") -> dict[str, str]:
    """The files a report's reproduction commands use, by file name: the scenario text of a
    run or sweep (each arm's for a compare) and a sweep's points."""
    kind = kind_of(folder)
    if kind == "compare":
        arms = read_manifest(folder).get("arms", [])
        return {_arm_file(stem, k): a["scenario_text"] for k, a in enumerate(arms, 1)}
    if kind == "sweep":
        job = read_json(folder / "sweep.json")
        return {f"{stem}-scenario.yaml": job["scenario_text"],
                f"{stem}-points.csv": _points_csv(job)}
    if kind == "run":
        return {f"{stem}-scenario.yaml": read_manifest(folder)["scenario_text"]}
    return {}


def _arm_file(stem: str, k: int) -> str:
    return f"{stem}-scenario-{k}.yaml"


def _points_csv(job: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(job["paths"])
    writer.writerows([[p[q] for q in job["paths"]] for p in job["points"]])
    return out.getvalue()


# --- page ------------------------------------------------------------------------------------


def _page(kind: str, body: list[str], folder: Path) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>negsim {e(kind.lower())} report: {e(folder.name)}</title>"
            f"<style>{CSS}</style></head><body>" + "".join(body) + "</body></html>")


def _plots(folder: Path) -> list[str]:
    images = "".join(_image(p) for p in sorted(folder.glob("*.png")))
    return ["<h2>Plots</h2>", images or "<p>No plots.</p>"]


def _image(path: Path) -> str:
    data = base64.b64encode(read_bytes(path)).decode("ascii")
    return (f"<figure><img alt=\"{e(path.stem)}\" src=\"data:image/png;base64,{data}\">"
            f"<figcaption class=\"muted\">{e(path.name)}</figcaption></figure>")


_NUMERIC = re.compile(r"^[\s\d.,+\-±\[\]—e<*×∞]*$")


def _blocks(header: list[str], rows: list[list[Any]], key: int = 1) -> list[str]:
    """A wide table as tables of at most BLOCK_COLUMNS value columns, each repeating the
    first ``key`` columns: every block fits an A4 page, so nothing is clipped in print."""
    rest = list(range(key, len(header)))
    parts = [rest[k:k + BLOCK_COLUMNS] for k in range(0, len(rest), BLOCK_COLUMNS)] or [[]]
    keys = list(range(key))
    return [_table([header[i] for i in keys + part], [[r[i] for i in keys + part] for r in rows])
            for part in parts]


def _commands(text: str) -> str:
    """Command lines escaped, each option (``--seed``) kept on one line."""
    return re.sub(r"(?<![\w-])(--?[A-Za-z][\w-]*)", r'<span class="nb">\1</span>', e(text))


def _table(header: list[str], rows: list[list[Any]]) -> str:
    """An HTML table; cells that read as numbers or intervals are right-aligned."""
    head = "".join(f"<th>{_breakable(e(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def _cell(value: Any) -> str:
    if _NUMERIC.match(str(value)):
        return f'<td class="n">{e(value)}</td>'
    return f"<td>{_breakable(e(value))}</td>"


def _breakable(text: str) -> str:
    """An identifier or dotted path may break after its underscores and dots (a phone's
    narrow column), never elsewhere; prose breaks between words as usual."""
    return text if " " in text else re.sub(r"([_.])", r"\1<wbr>", text)


def _num(x: Any, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


# --- runs ------------------------------------------------------------------------------------


def _run(folder: Path, stem: str) -> list[str]:
    manifest, summary = read_manifest(folder), read_json(folder / "summary.json")
    scenario = _scenario(manifest["scenario_text"])
    file = f"{stem}-scenario.yaml"
    out = [f"<h1>{e(shorten(scenario.title, HEADING_TEXT))}</h1>",
           f"<p class=\"muted\">negsim run of <b>{e(scenario.name)}</b>: {e(summary['runs'])} "
           f"replications, seed {e(summary['seed'])}.</p>"]
    out += _stopped(summary, "half-width")
    out += _outcomes(summary)
    out += _survival(summary)
    out += _metrics(summary)
    out += _plots(folder)
    out += _discoveries(folder, summary)
    out += _traces(folder, int(summary["seed"]), file)
    out += describe_scenario(scenario)
    out += _yaml(manifest["scenario_text"], file)
    out += _assumptions(manifest["scenario_text"])
    out += _reproduce(manifest, [f"negsim run {file} --seed {manifest['seed']} "
                                 f"-n {manifest['runs']}"], [file])
    return out


def _stopped(result: dict[str, Any], what: str) -> list[str]:
    """How a run or compare stopped early under ``--precision`` (nothing otherwise)."""
    from sim.output.render import precision_line

    if "precision" not in result:
        return []
    return [f"<p class=\"muted\">{e(precision_line(result, what))}; the commands below run "
            "exactly these replications.</p>"]


def _yaml(text: str, file: str, label: str = "The scenario file") -> list[str]:
    """The scenario's YAML, collapsed, under the name the commands use."""
    return [f"<details><summary>{e(label)} ({e(file)}, {len(text.splitlines())} lines)"
            f"</summary><pre>{e(text)}</pre></details>"]


def _scenario(text: str) -> Scenario:
    try:
        return loads(text, "manifest")
    except NegsimError as exc:
        raise UsageError(f"the stored scenario no longer validates: {exc}") from None


def _outcomes(summary: dict[str, Any]) -> list[str]:
    rows = [[name, f"{o['p']:.3f}", f"[{o['ci'][0]:.3f}, {o['ci'][1]:.3f}]", o["count"],
             meaning(name)] for name, o in summary["outcomes"].items()]
    coarse = [[name, f"{o['p']:.3f}", f"[{o['ci'][0]:.3f}, {o['ci'][1]:.3f}]", o["count"],
               GROUPS.get(name, "")] for name, o in summary.get("coarse", {}).items()]
    out = ["<h2>Outcomes</h2>",
           _table(["outcome", "probability", "95% Wilson interval", "count", "meaning"], rows)]
    if coarse:
        out += ["<h3>Coarse grouping</h3>",
                _table(["group", "probability", "95% Wilson interval", "count", "covers"],
                       coarse)]
    return out


def _survival(summary: dict[str, Any]) -> list[str]:
    """First-truce survival: the headline at judged_after_days, the median and the number at
    risk at round times (nothing without truces)."""
    from sim.output.render import judged_text, median_text

    km = summary.get("survival") or {}
    if not km.get("n"):
        return []
    figures = [judged_text(km["judged"])] if km.get("judged") else []
    out = ["<h2>First-truce survival</h2>",
           f"<p>Kaplan-Meier over {e(km['n'])} first truces ({e(km['events'])} breakdowns): "
           f"{e('; '.join([*figures, median_text(km)]))}. A truce younger than the judging age "
           "at the window's end is censored there, never counted as held; a figure resting on "
           "fewer than 10 truces at risk is not estimable.</p>"]
    risk = km.get("risk")
    if risk:
        out.append(_table(["days since the truce began", *(f"{t:g}" for t in risk["t"])],
                          [["truces at risk", *risk["n"]]]))
    return out


def _metrics(summary: dict[str, Any]) -> list[str]:
    rows = []
    for name, m in summary["metrics"].items():
        ci = m.get("ci") or [None, None]
        rows.append([name, m["n"], _num(m["mean"]), f"[{_num(ci[0])}, {_num(ci[1])}]",
                     _num(m["sd"]), _num(m["q05"]), _num(m["q50"]), _num(m["q95"])])
    return ["<h2>Metrics</h2>",
            _table(["metric", "n", "mean", "95% CI of mean", "sd", "q05", "q50", "q95"], rows)]


def _traces(folder: Path, seed: int, file: str) -> list[str]:
    """The representative replication of each outcome that the run stored (traces.json);
    nothing is re-played here."""
    out = ["<h2>A representative replication of each outcome</h2>"]
    path = folder / TRACES
    told = read_json(path) if path.is_file() else None
    if not isinstance(told, dict) or not isinstance(told.get("outcomes"), dict):
        return out + [f"<p>This folder stores no traces. Tell one with <code>negsim trace "
                      f"{e(file)} --seed {seed} --outcome NAME</code>.</p>"]
    for name, story in told["outcomes"].items():
        index, lines = story.get("replication"), story.get("lines")
        if not isinstance(index, int) or not isinstance(lines, list):
            continue
        out.append(f"<h3>{e(name)} (replication {index}; "
                   f"<code>negsim trace {e(file)} --seed {seed} --replication {index}</code>)"
                   "</h3>"
                   f"<pre>{e(chr(10).join(str(x) for x in lines))}</pre>")
    return out


def _reproduce(manifest: dict[str, Any], commands: list[str], files: list[str]) -> list[str]:
    """The commands that rerun the results from the scenario files next to this report, the
    original command line, and the versions and system it ran on."""
    versions = [[k, v] for k, v in manifest.get("versions", {}).items()]
    system = manifest.get("platform") or {}
    git = manifest.get("git") or {}
    where = ", ".join(f"{k} {v}" for k, v in system.items())
    if git:
        where += f"; negsim commit {git['commit']}{' (with local changes)' if git['dirty'] else ''}"
    original = " ".join(manifest.get("command", []))
    return ["<h2>Reproduce</h2>",
            f"<p>The scenario files {e(', '.join(files))} are written next to this report "
            "(their text is in the collapsed scenario file section above, and in the results "
            "folder's manifest.json). From that folder:</p>",
            f"<pre>{_commands(chr(10).join(commands))}</pre>",
            f"<p class=\"muted\">Scenario SHA-256 "
            f"<code>{e(manifest.get('scenario_sha256', ''))}</code>. Original command: "
            f"<code>{_commands(original or 'not recorded')}</code>."
            + (f" Ran on {e(where)}." if where else "") + "</p>",
            _table(["package", "version"], versions)]


# --- scenario discovery ----------------------------------------------------------------------

DISCOVER_MIN_CASES = 10


def _discoveries(folder: Path, summary: dict[str, Any]) -> list[str]:
    """What leads to each outcome: stored ``negsim discover`` results, else PRIM computed
    from the stored replications for the unfavourable outcomes that occurred."""
    from sim.operations import discovery

    results = discovery.stored(folder)
    if not results:
        results = _computed(folder, summary)
    if not results:
        return []
    out = ["<h2>What leads to this outcome</h2>",
           "<p class=\"muted\">PRIM scenario discovery (EMA Workbench) over the inputs "
           "stored with the replications: the box of input ranges chosen on the trade-off of "
           "coverage (share of the outcome's replications inside it) against density (share "
           "of the box ending in the outcome); a quasi-p value per bound. <code>negsim "
           "discover FOLDER --outcome NAME</code> writes the plots.</p>"]
    for r in results:
        out += _discovery(r)
    return out


def _computed(folder: Path, summary: dict[str, Any]) -> list[dict[str, Any]]:
    from sim.operations import discovery

    names = [n for n, o in summary.get("outcomes", {}).items()
             if n in ("truce_collapsed", "no_deal", "escalation")
             and o["count"] >= DISCOVER_MIN_CASES]
    try:
        return [discovery.discover(folder, n) for n in names]
    except NegsimError:
        return []


def _discovery(r: dict[str, Any]) -> list[str]:
    from sim.operations.discovery import box_lines

    c = r["chosen"]
    rows = [[b["input"], _num(b["min"], ".4g") if b["restricts_min"] else "",
             _num(b["max"], ".4g") if b["restricts_max"] else "",
             f"{b['range'][0]:.4g} to {b['range'][1]:.4g}",
             " / ".join(_num(b[k], ".2g") for k in ("qp_min", "qp_max") if b[k] is not None)]
            for b in c["restricted"]]
    out = [f"<h3>{e(r['outcome'])}</h3>", f"<p>{e(box_lines(r)[0])}.</p>"]
    if rows:
        out.append(_table(["input", "at least", "at most", "range drawn", "quasi-p"], rows))
    else:
        out.append(f"<p>{e(' '.join(x.strip() for x in box_lines(r)[1:]))}.</p>")
    return out


# --- the scenario in plain words ---------------------------------------------------------------


def describe_scenario(s: Scenario) -> list[str]:
    """The scenario's actors, talks, deadline, truce, aid, effects and shocks in words."""
    out = ["<h2>The scenario</h2>", f"<p>{e(s.description)}</p>",
           f"<p>Starts {e(s.start)}; each replication covers {e(f'{s.horizon_days:g}')} days.</p>",
           "<h3>Actors</h3>"]
    rows = [[a.label, a.description, _v(a.violation_rate), _v(a.attack_rate),
             ", ".join(f"{k}: {_v(v)}" for k, v in a.leverage.items())]
            for a in s.actors.values()]
    out.append(_table(["actor", "who", "violations/day", "attacks/day", "leverage"], rows))
    out += _negotiation(s) + _deadline(s) + _truce(s) + _effects(s)
    return out


def _v(value: Any) -> str:
    if isinstance(value, int | float):
        return f"{value:g}"
    return ", ".join(f"{k} {v}" for k, v in value.model_dump().items())


def _negotiation(s: Scenario) -> list[str]:
    n = s.negotiation
    if n is None:
        return []
    out = ["<h3>Negotiation</h3>", f"<p>{e(n.description)}</p>"]
    rows = [[s.actors[p].label, ", ".join(f"{t} {_v(w)}" for t, w in party.weights.items()),
             _no_deal_rule(s, p), _v(party.e), _v(party.tau), _v(party.noise)]
            for p, party in n.parties.items()]
    out.append(_table(["party", "weights (own units)", "no-deal value", "e (tactic)", "tau",
                       "noise"], rows))
    if n.delivered_via:
        paths = "; ".join(f"{t} via {_via(v)}" for t, v in n.delivered_via.items())
        out.append("<p>Delivered through leverage (worth to the others what the patron can "
                   "deliver): " + e(paths) + ".</p>")
    out.append(_table(["term", "levels"], [[t, ", ".join(f"{x:g}" for x in lv)]
                                           for t, lv in n.terms.items()]))
    if n.constraints:
        out.append(_table(["imposed by", "term", "min", "max", "why"],
                          [[s.actors[c.by].label, c.term, _num(c.min, "g"), _num(c.max, "g"),
                            c.reason] for c in n.constraints]))
    meet = [f"{m.day} {m.label}" for m in n.meetings.scheduled]
    out.append(f"<p>Meetings: {e('; '.join(meet) or 'none scheduled')}; unscheduled "
               f"{e(n.meetings.label)} at {e(_v(n.meetings.rate_per_day))} per day; "
               f"{n.rounds_per_meeting} proposal(s) per meeting.</p>")
    return out


def _no_deal_rule(s: Scenario, name: str) -> str:
    """The party's no-deal value as the scenario states it, in words."""
    party = s.negotiation.parties[name]  # type: ignore[union-attr]
    if party.reservation is not None:
        return f"{_v(party.reservation)} (stated)"
    sq = party.status_quo
    text = ("offer " + ", ".join(f"{t} {x:g}" for t, x in sq.items()) if isinstance(sq, dict)
            else "lowest levels" if sq is None else _v(sq))
    first = next(iter(s.threats().values()), None)
    payoff = first.plan_b.payoffs.get(name) if first else None
    if payoff is not None:
        text = f"(1 - c) x status quo [{text}] + c x plan B [{_v(payoff)}]"
    else:
        text = f"status quo [{text}]"
    return text + (f" + premium {_v(party.premium)}" if party.premium else "")


def _deadline(s: Scenario) -> list[str]:
    out = []
    for name, d in s.threats().items():
        partners = d.plan_b.partners
        joined = (f" It needs {d.plan_b.requires_partners} of its partners "
                  f"({e(', '.join(s.actors[p].label for p in partners))}) to join."
                  if partners else "")
        out += [f"<h3>Deadline{'' if name == 'deadline' else ' ' + e(name)}</h3>",
                f"<p>{e(s.actors[d.set_by].label)} set a deadline on {e(_day(d.day))}. If no "
                f"deal holds then, it carries out “{e(d.plan_b.label)}” with probability "
                f"{e(_v(d.credibility))} (the run ends as escalation); otherwise the deadline "
                f"lapses, credibility falls by {e(_v(d.credibility_decay))} and up to "
                f"{d.extensions} new deadline(s) follow.{joined} {e(d.plan_b.description)}</p>"]
    return out


def _day(value: Any) -> str:
    """A stated day: a date, an offset, a distribution or a reference, in words."""
    if hasattr(value, "after"):
        return f"{value.after} + {_v(value.plus)}" if value.plus else str(value.after)
    return _v(value) if hasattr(value, "support") else str(value)


def _truce(s: Scenario) -> list[str]:
    t = s.truce
    if t is None:
        return []
    b = t.breakdown
    rule = ("never" if b.violations is None else f"at {b.violations} violations "
            + (f"within {b.window_days:g} days" if b.window_days else "since its start"))
    alpha = "; ".join(f"{i} after each violation by {j}: +{_v(a)}/day"
                      for i, row in t.alpha.items() for j, a in row.items())
    return ["<h3>Truce</h3>", f"<p>{e(t.description)}</p>",
            f"<p>Parties: {e(', '.join(s.actors[p].label for p in t.parties))}. Starts "
            f"{e(t.starts)} (+{e(f'{t.delay_days:g}')} days). Retaliation: {e(alpha or 'none')}; "
            f"decay {e(_beta(t.beta))} per day. Breakdown {e(rule)}.</p>"]


def _beta(beta: Any) -> str:
    if not isinstance(beta, dict):
        return _v(beta)
    return "; ".join(f"{i} by {j}: {_v(b)}" for i, row in beta.items() for j, b in row.items())


def _via(via: str | list[str] | None) -> str:
    """One leverage path, or several joined (independent channels)."""
    if via is None:
        return ""
    return via if isinstance(via, str) else " + ".join(via)


def _when(f: Effect) -> str:
    """When a staged effect starts, ramps and on what it depends ("at the deal" if not)."""
    anchors = [f"the {f.starts.after if f.starts else 'deal'}"]
    if f.after_effect is not None:
        anchors.append(f"{f.after_effect}'s start")
    if f.after_truce_days is not None:
        anchors.append(f"the truce's {_v(f.after_truce_days)}th day")
    days = _v(f.starts.days) if f.starts else "0"
    parts = [f"{days} d after {' and '.join(anchors) if len(anchors) < 2 else 'the last of '}"
             f"{', '.join(anchors) if len(anchors) > 1 else ''}"]
    if f.ramp_days != 0:
        parts.append(f"ramping in over {_v(f.ramp_days)} d")
    if f.requires is not None:
        r = f.requires
        bounds = [b for b in (f"{r.term} >= {r.min:g}" if r.min is not None else "",
                              f"{r.term} <= {r.max:g}" if r.max is not None else "") if b]
        parts.append("if " + " and ".join(bounds))
    return "; ".join(parts) if f.staged else "at the deal"


def _effects(s: Scenario) -> list[str]:
    out = []
    if s.effects:
        out += ["<h3>Effects of an agreement (levers)</h3>", _table(
            ["effect", "term", "target", "per unit", "via", "when", "tied to truce", "note"],
            [[k, f.term, f.target, _v(f.per_unit), _via(f.via), _when(f),
              "yes" if f.tied_to_truce else "", f.note] for k, f in s.effects.items()])]
    if s.shocks:
        out += ["<h3>Shocks</h3>", _table(
            ["shock", "day", "what", "probability", "target × factor", "breaks truce"],
            [[k, sh.day, sh.label, _v(sh.probability),
              f"{sh.target} × {_v(sh.factor)}" if sh.target else "",
              "yes" if sh.breaks_truce else ""] for k, sh in s.shocks.items()])]
    return out


_KEY = re.compile(r"^(\s*)(-\s+)?([A-Za-z_][\w.]*)\s*:")


def _commented(line: str) -> tuple[int, str, str, str] | None:
    """``(indent, key, value, comment)`` of ``key: value  # comment``, else None.

    Found by position, not by one pattern: a value and the spaces before its ``#`` both
    match whitespace, and a pattern trying every split of a long run of spaces takes time
    quadratic in the line (minutes for a 1 MB description)."""
    m = _KEY.match(line)
    if not m:
        return None
    rest = line[m.end():]
    at = rest.find("#")
    value, comment = rest[:at].strip(), rest[at + 1:].strip()
    if at < 1 or not rest[at - 1].isspace() or not value or not comment:
        return None
    return len(m[1]), m[3], value, comment


def _assumptions(text: str) -> list[str]:
    """Every value that carries a comment in the scenario file, with its stated source."""
    rows: list[list[str]] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        m = _commented(line)
        plain = re.match(r"^(\s*)([A-Za-z_][\w.]*)\s*:\s*(#.*)?$", line)
        if plain:
            depth = len(plain[1])
            stack = [(d, k) for d, k in stack if d < depth] + [(depth, plain[2])]
        if m:
            depth, key, value, comment = m
            keys = [k for d, k in stack if d < depth]
            rows.append([".".join([*keys, key]), value, comment])
    if not rows:
        return []
    return ["<h2>Assumptions and their sources</h2>",
            "<p class=\"muted\">Each number in the scenario file with the comment that states "
            "its source (the article) or marks it as a judgement.</p>",
            _table(["parameter", "value", "source"], rows)]


# --- compare and sweep -----------------------------------------------------------------------


def _compare(folder: Path, stem: str) -> list[str]:
    result = read_json(folder / "compare.json")
    manifest = read_manifest(folder)
    arms = manifest.get("arms", [])
    out = [f"<h1>Comparison: {e(', '.join(s['label'] for s in result['scenarios']))}</h1>",
           f"<p class=\"muted\">{e(result['runs'])} replications each, seed {e(result['seed'])}, "
           f"{'paired on common random numbers' if result['paired'] else 'UNPAIRED'}; "
           f"baseline {e(result['baseline'])}.</p>"]
    out += _stopped(result, "half-width of a paired difference")
    out += _arm_probabilities(result)
    for c in result["comparisons"]:
        out += _comparison(c)
    if "family" in result:
        out.append(f"<p class=\"muted\">{e(result['family']['text'])}</p>")
    out += _plots(folder)
    out += _arm_differences(arms)
    files = [_arm_file(stem, k) for k in range(1, len(arms) + 1)]
    if arms:
        out += [f"<h2>The baseline scenario: {e(arms[0]['label'])}</h2>"]
        try:
            out += describe_scenario(loads(arms[0]["scenario_text"], arms[0]["source"]))[1:]
        except NegsimError:
            out.append("<p>(stored scenario does not validate)</p>")
        out += [x for a, f in zip(arms, files, strict=True)
                for x in _yaml(a["scenario_text"], f, f"Scenario file of {a['label']}")]
        out += _assumptions(arms[0]["scenario_text"])
    command = f"negsim compare {' '.join(files)} --seed {result['seed']} -n {result['runs']}"
    return out + _reproduce(manifest, [command], files)


def _arm_probabilities(result: dict[str, Any]) -> list[str]:
    """Each arm's outcome probabilities with their 95% Wilson intervals, side by side (the
    differences below are read against them)."""
    arms = result["scenarios"]
    names = list(dict.fromkeys(n for a in arms for n in a["outcomes"]))
    rows = [[name, *(_probability(a["outcomes"].get(name)) for a in arms)] for name in names]
    return ["<h2>Each scenario's outcome probabilities</h2>",
            "<p class=\"muted\">Probability [95% Wilson interval] over each scenario's "
            "replications.</p>",
            *_blocks(["outcome", *(a["label"] for a in arms)], rows)]


def _probability(o: dict[str, Any] | None) -> str:
    if o is None:
        return "—"
    return f"{o['p']:.3f} [{o['ci'][0]:.3f}, {o['ci'][1]:.3f}]"


def _comparison(c: dict[str, Any]) -> list[str]:
    """One variant against the baseline: outcome and metric differences."""
    def rows(kind: str, fmt: str) -> list[list[Any]]:
        return [[name, _num(d.get("diff"), fmt),
                 "—" if d.get("ci") is None else f"[{d['ci'][0]:{fmt}}, {d['ci'][1]:{fmt}}]",
                 pvalue(d.get("p_holm", d.get("p_value")), bool(d.get("significant"))),
                 *(s.show(d) for s in STATISTICS)] for name, d in c["diff"][kind].items()]

    header = ["difference", "95% interval", "p (Holm; * significant)",
              *(s.meaning.split(":")[0] for s in STATISTICS)]
    out = [f"<h2>{e(c['variant'])} minus {e(c['baseline'])}</h2>",
           _table(["outcome", *header], rows("outcomes", "+.4f"))]
    if c["diff"].get("metrics"):
        out += ["<h3>Metrics (mean paired difference)</h3>",
                _table(["metric", *header], rows("metrics", "+.3g"))]
    return out


_ABSENT = "(not set)"


def _arm_differences(arms: list[dict[str, Any]]) -> list[str]:
    """What differs between the arms' scenario files: one row per dotted path."""
    if len(arms) < 2:
        return []
    docs = [_flat(_document(a["scenario_text"])) for a in arms]
    paths = [p for p in dict.fromkeys(p for d in docs for p in d)
             if len({d.get(p, _ABSENT) for d in docs}) > 1]
    prose = [p for p in paths if p.rsplit(".", 1)[-1] == "description"]
    rows = [[p, *(d.get(p, _ABSENT) for d in docs)] for p in paths if p not in prose]
    out = ["<h2>What differs between the arms</h2>"]
    if not paths:
        return [*out, "<p>The scenario files are identical.</p>"]
    if rows:
        out.append(_table(["parameter", *(a["label"] for a in arms)], rows))
    if prose:
        out.append(f"<p class=\"muted\">Their descriptions differ too ({e(', '.join(prose))}): "
                   "see each scenario file below.</p>")
    return out


def _document(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return {}


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """A YAML document as dotted path -> value text (lists of scalars kept whole)."""
    if isinstance(value, dict):
        return {k: v for key, sub in value.items()
                for k, v in _flat(sub, f"{prefix}.{key}" if prefix else str(key)).items()}
    if isinstance(value, list) and any(isinstance(x, dict | list) for x in value):
        return {k: v for i, sub in enumerate(value) for k, v in _flat(sub, f"{prefix}.{i}").items()}
    if isinstance(value, list):
        return {prefix: "[" + ", ".join(map(str, value)) + "]"}
    return {prefix: str(value)}


def _sweep(folder: Path, stem: str) -> list[str]:
    job = read_json(folder / "sweep.json")
    summary = read_json(folder / "summary.json") if (folder / "summary.json").exists() else None
    scenario = _scenario(job["scenario_text"])
    out = [f"<h1>Sweep of {e(shorten(scenario.title, HEADING_TEXT))}</h1>",
           f"<p class=\"muted\">{len(job['points'])} points ({e(job['method'])}) × "
           f"{e(job['runs'])} replications, seed {e(job['seed'])}, common random numbers "
           "across points.</p>"]
    if summary is None:
        return [*out, "<p><b>This sweep is incomplete</b>: resume it with negsim sweep "
                f"--resume {e(folder)}.</p>"]
    header = ["point", *(f"p {o}" for o in summary["points"][0]["outcomes"]), *job["paths"]]
    rows = [[str(p.get("point", k)),
             *(f"{o['p']:.3f} ± {(o['ci'][1] - o['ci'][0]) / 2:.3f}"
               for o in p["outcomes"].values()),
             *(p["values"][q] for q in job["paths"])] for k, p in enumerate(summary["points"])]
    out += ["<h2>Points</h2>",
            "<p class=\"muted\">Each point's outcome probabilities (± the 95% half-width), "
            "then its swept values; wide tables continue in blocks, each repeating the point."
            "</p>", *_blocks(header, rows)]
    out += ["<h2>Which parameters matter</h2>"]
    for outcome, res in summary["sensitivity"].items():
        ps = [p["outcomes"][outcome]["p"] for p in summary["points"]]
        line = sensitivity_line(outcome, res, ps).removeprefix(f"{outcome}: ")
        out.append(f"<p><b>{e(outcome)}</b> ({e(res['method'])}): {e(line)}.</p>")
    if summary["sensitivity"]:
        out.append("<p class=\"muted\">(noise?) marks an effect that binomial noise alone "
                   "could produce; such bars are hatched in the ranking plot. (non-linear?) "
                   "marks a weak linear effect where R^2 shows the rest of the spread is real, "
                   "not noise.</p>")
    out += _plots(folder)
    out += _discoveries(folder, {})
    files = [f"{stem}-scenario.yaml", f"{stem}-points.csv"]
    out += describe_scenario(scenario) + _yaml(job["scenario_text"], files[0])
    out += _assumptions(job["scenario_text"])
    command = (f"negsim sweep {files[0]} --design {files[1]} --seed {job['seed']} "
               f"-n {job['runs']}")
    return out + _reproduce(read_manifest(folder), [command], files)
