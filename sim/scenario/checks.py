"""Rules that span blocks of a scenario (actors, days, terms, truce, targets), as
(location, message) pairs for the loader to report with file, line and field."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from sim.scenario import budgets, targets, timing
from sim.scenario.model import (
    INF,
    After,
    Deadline,
    Effect,
    Negotiation,
    Scenario,
    Stake,
    Truce,
)
from sim.scenario.yamlload import Loc

TARGET_PARAMS = targets.FORMS


def cross_check(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Yield (location, message) for every rule spanning blocks."""
    yield from _check_actor_refs(s)
    yield from _check_days(s)
    yield from _check_terms(s)
    yield from _check_truce(s)
    yield from _check_threats(s)
    yield from _check_timing(s)
    for name, eff in s.effects.items():
        yield from _check_effect(s, name, eff)
    yield from _check_cycles(s)
    for name, shock in s.shocks.items():
        if shock.target is not None:
            yield from _check_target(s, ("shocks", name, "target"), shock.target)
    yield from budgets.check_scenario(s)


def _check_effect(s: Scenario, name: str, eff: Effect) -> Iterator[tuple[Loc, str]]:
    """Its target and leverage paths exist; its stages and conditions name what exists."""
    at: Loc = ("effects", name)
    bad_target = list(_check_target(s, (*at, "target"), eff.target))
    yield from bad_target
    for loc, via in _via_paths((*at, "via"), eff.via):
        yield from _check_via(s, loc, via)
    if not bad_target and eff.ramp_days != 0 and not targets.parse(s, eff.target).rampable:
        yield (*at, "ramp_days"), (f"{eff.target} changes at once; ramp_days applies to "
                                   f"rates only ({', '.join(targets.FORMS[:2])}, "
                                   f"{targets.FORMS[4]}, {targets.FORMS[5]})")
    if eff.after_effect is not None and eff.after_effect not in s.effects:
        yield (*at, "after_effect"), (f"unknown effect {eff.after_effect!r}"
                                      f"{did_you_mean(eff.after_effect, s.effects)}; effects: "
                                      f"{', '.join(s.effects)}")
    truce_anchored = eff.after_truce_days is not None or (
        eff.starts is not None and eff.starts.after == "truce")
    if truce_anchored and s.truce is None:
        yield (*at, "starts" if eff.after_truce_days is None else "after_truce_days"), \
            "a milestone on the truce needs a truce block"
    yield from _check_requires(s, at, eff)


def _check_requires(s: Scenario, at: Loc, eff: Effect) -> Iterator[tuple[Loc, str]]:
    """A condition names a term and levels within its range."""
    r, terms = eff.requires, s.negotiation.terms if s.negotiation else {}
    if r is None or r.term not in terms:
        return  # an unknown term is reported with the other term references
    levels = terms[r.term]
    for bound in ("min", "max"):
        value = getattr(r, bound)
        if value is not None and not levels[0] <= value <= levels[-1]:
            yield (*at, "requires", bound), (
                f"{bound} {value:g} is outside {r.term}'s levels {levels}; expected a level "
                f"in [{levels[0]:g}, {levels[-1]:g}]")


def _check_cycles(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Effects waiting on each other (A after B after A) would never start."""
    reported: set[str] = set()
    for name in s.effects:
        chain, at = [name], s.effects[name].after_effect
        while at is not None and at in s.effects and at not in chain:
            chain.append(at)
            at = s.effects[at].after_effect
        if at is not None and at in chain and at not in reported:
            cycle = chain[chain.index(at):] + [at]
            reported.update(cycle)
            yield (("effects", at, "after_effect"),
                   f"a cycle of conditions: {' -> '.join(cycle)} (each waits for the next to "
                   "start, so none ever starts)")


def _via_paths(at: Loc, via: str | list[str] | None) -> Iterator[tuple[Loc, str]]:
    """Each leverage path of a ``via`` (one path or a list of them), with its location."""
    if via is None:
        return
    if isinstance(via, str):
        yield at, via
        return
    for i, path in enumerate(via):
        yield (*at, i), path


def _actor_refs(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Every place a scenario names an actor, block by block."""
    for aid_, actor in s.actors.items():
        for client in actor.leverage:
            yield ("actors", aid_, "leverage", client), client
    yield from _negotiation_refs(s.negotiation)
    for name, d in s.threats().items():
        yield from _deadline_refs(tuple(s.threat_path(name).split(".")), d)
    yield from _truce_refs(s.truce)
    for sp in s.spoilers:
        yield ("spoilers", sp), sp
    yield from _spoiler_targets(s)


def _spoiler_targets(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """The truce parties spoilers excite or are blamed on."""
    for sp, spoiler in s.spoilers.items():
        for p in spoiler.excites:
            yield ("spoilers", sp, "excites", p), p
        for p in spoiler.blamed_on:
            yield ("spoilers", sp, "blamed_on", p), p


def _negotiation_refs(n: Negotiation | None) -> Iterator[tuple[Loc, str]]:
    if n is None:
        return
    for p in n.parties:
        yield ("negotiation", "parties", p), p
    for i, c in enumerate(n.constraints):
        yield ("negotiation", "constraints", i, "by"), c.by
    for i, m in enumerate(n.meetings.scheduled):
        if m.host:
            yield ("negotiation", "meetings", "scheduled", i, "host"), m.host
    if n.meetings.convened_by:
        yield ("negotiation", "meetings", "convened_by"), n.meetings.convened_by
    for role in ("ratifiers", "mediators", "capability"):
        for a in getattr(n, role):
            yield ("negotiation", role, a), a


def _deadline_refs(at: Loc, d: Deadline) -> Iterator[tuple[Loc, str]]:
    yield (*at, "set_by"), d.set_by
    targets = [d.target] if isinstance(d.target, str) else d.target or []
    for i, a in enumerate(targets):
        yield ((*at, "target") if isinstance(d.target, str) else (*at, "target", i)), a
    partners = d.plan_b.partners
    for i, a in enumerate(partners):
        yield ((*at, "plan_b", "partners", a) if isinstance(partners, dict)
               else (*at, "plan_b", "partners", i)), a
    for a in d.plan_b.payoffs:
        yield (*at, "plan_b", "payoffs", a), a


def _truce_refs(t: Truce | None) -> Iterator[tuple[Loc, str]]:
    if t is None:
        return
    for k, a in enumerate(t.parties):
        yield ("truce", "parties", k), a
    yield from _pair_refs(("truce", "alpha"), t.alpha)
    if isinstance(t.beta, dict):
        yield from _pair_refs(("truce", "beta"), t.beta)
    yield from _pair_refs(("truce", "monitoring", "attribution"), t.monitoring.attribution)
    for p in t.monitoring.detection:
        yield ("truce", "monitoring", "detection", p), p
    yield from _stake_refs(t)
    yield from _valued_parties(t)
    for p in t.covers:
        yield ("truce", "covers", p), p
    for p in (t.worth.parties if t.worth else ()):
        yield ("truce", "worth", "parties", p), p
    for p in t.collapse.premium_shift:
        yield ("truce", "collapse", "premium_shift", p), p
    for p, ex in (t.exits.parties.items() if t.exits else ()):
        yield ("truce", "exits", "parties", p), p
        for j in ex.against or {}:
            yield ("truce", "exits", "parties", p, "against", j), j


def _stake_refs(t: Truce) -> Iterator[tuple[Loc, str]]:
    for p, stake in t.stakes.items():
        yield ("truce", "stakes", p), p
        if isinstance(stake, Stake) and stake.held_by is not None:
            yield ("truce", "stakes", p, "held_by"), stake.held_by


def _pair_refs(at: Loc, table: dict[str, dict[str, Any]]) -> Iterator[tuple[Loc, str]]:
    for i, row in table.items():
        yield (*at, i), i
        for j in row:
            yield (*at, i, j), j


def _check_actor_refs(s: Scenario) -> Iterator[tuple[Loc, str]]:
    for loc, name in _actor_refs(s):
        if name not in s.actors:
            yield loc, f"unknown actor {name!r}{did_you_mean(name, s.actors)}"


def _check_days(s: Scenario) -> Iterator[tuple[Loc, str]]:
    days: list[tuple[Loc, Any]] = []
    if s.negotiation:
        days += [(("negotiation", "meetings", "scheduled", i, "day"), m.day)
                 for i, m in enumerate(s.negotiation.meetings.scheduled)]
    for name, d in s.threats().items():
        days.append(((*s.threat_path(name).split("."), "day"), d.day))
    if s.truce and s.truce.starts != "on_deal":
        days.append((("truce", "starts"), s.truce.starts))
    days += [(("shocks", k, "day"), v.day) for k, v in s.shocks.items()]
    for loc, value in days:
        if isinstance(value, After):
            continue  # resolved per replication; a day past the window never comes
        lo, hi = ((lower(value), upper(value)) if hasattr(value, "support")
                  else (s.day(value), s.day(value)))
        if not (0 <= lo and hi <= s.horizon_days):
            shown = value if lo == hi else value.model_dump()
            yield loc, (f"{shown} is day {_span(lo, hi)}, outside the horizon "
                        f"[0, {s.horizon_days:g}] from start {s.start}")


def _span(lo: float, hi: float) -> str:
    return f"{lo:g}" if lo == hi else f"{lo:g} to {hi:g}"


def _check_threats(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """One deadline form; a threat is addressed to others than its setter, and can find the
    partners it needs."""
    if s.deadline is not None and s.deadlines:
        yield ("deadlines",), ("give either deadline (one) or deadlines (a map), not both; "
                               "move the single deadline into the map under a name")
    for name, d in s.threats().items():
        at = tuple(s.threat_path(name).split("."))
        targets = [d.target] if isinstance(d.target, str) else d.target or []
        if d.set_by in targets:
            yield (*at, "target"), (f"{d.set_by!r} sets this deadline and cannot be its target; "
                                    "a counter-threat is its own deadline set by the target")
        need, partners = d.plan_b.requires_partners, d.plan_b.partners
        if isinstance(need, int) and need > len(partners):
            yield (*at, "plan_b", "requires_partners"), (
                f"requires {need} partners but plan B names {len(partners)}"
                f" ({', '.join(partners) or 'none'})")


def _check_timing(s: Scenario) -> Iterator[tuple[Loc, str]]:
    """Every reference names an event that exists; the references form no cycle."""
    known = timing.events(s)
    bad = False
    for loc, ref in timing.references(s):
        if ref not in known:
            bad = True
            hint = (f"; shock {ref.split('.')[1]!r} has no duration_days, so no end"
                    if ref.endswith(".end") and ref.replace(".end", ".start") in known
                    else did_you_mean(ref, known))
            yield loc, (f"unknown event {ref!r} in after{hint}; expected shocks.NAME.start, "
                        f"shocks.NAME.end, deadlines.NAME.day or deadline.day (events: "
                        f"{', '.join(known) or 'none'})")
    loop = None if bad else timing.cycle(s)
    if loop:
        yield (*known[loop[0]][0], ), (
            "timing references form a cycle: " + " -> ".join(loop)
            + "; each event must be resolvable from fixed days")


def _check_terms(s: Scenario) -> Iterator[tuple[Loc, str]]:
    n = s.negotiation
    if n is None:
        if s.effects:
            yield ("effects",), "effects need a negotiation block with terms"
        return
    for loc, term in _term_refs(s, n):
        if term not in n.terms:
            yield loc, f"unknown term {term!r}{did_you_mean(term, n.terms)}"
    if n.terms and not _any_feasible(n):
        yield ("negotiation", "constraints"), "the constraints rule out every offer"
    yield from _check_parties(s, n)
    yield from _check_roles(s, n)
    for term, paths in n.delivered_via.items():
        for loc, via in _via_paths(("negotiation", "delivered_via", term), paths):
            problems = list(_check_via(s, loc, via))
            yield from problems
            patron = via.split(".")[0]
            if not problems and patron not in n.parties:
                yield loc, (f"the patron {patron!r} must be a party at the table to deliver "
                            f"{term!r}")


def _check_parties(s: Scenario, n: Negotiation) -> Iterator[tuple[Loc, str]]:
    """Status-quo offers name real levels; a literal reservation stands alone."""
    for pname, party in n.parties.items():
        at = ("negotiation", "parties", pname)
        if isinstance(party.status_quo, dict):
            for term, level in party.status_quo.items():
                levels = n.terms.get(term)
                if levels is not None and not any(abs(level - x) < 1e-12 for x in levels):
                    yield (*at, "status_quo", term), (
                        f"level {level:g} is not one of {term}'s levels {levels}")
        if party.reservation is not None and (party.status_quo is not None or party.premium):
            yield (*at, "reservation"), ("a literal reservation replaces the derived no-deal "
                                         "value; drop status_quo and premium, or the reservation")
    yield from _audiences(n)
    for name, d in s.threats().items():
        for actor in d.plan_b.payoffs:
            if actor in s.actors and actor not in n.parties:
                yield ((*s.threat_path(name).split("."), "plan_b", "payoffs", actor),
                       f"{actor!r} is not a party at the table; payoffs are for "
                       f"{', '.join(n.parties)}")


def _check_roles(s: Scenario, n: Negotiation) -> Iterator[tuple[Loc, str]]:
    """Ratifiers and mediators are actors off the table, each in one role; docs/model.md,
    section 3.4."""
    for name in n.ratifiers:
        if name in n.parties:
            yield (("negotiation", "ratifiers", name),
                   f"{name!r} is a party at the table; a ratifier votes on agreed texts and "
                   "never proposes: drop it from parties or from ratifiers")
    for name, mediator in n.mediators.items():
        at = ("negotiation", "mediators", name)
        if name in n.parties or name in n.ratifiers:
            role = "a party at the table" if name in n.parties else "a ratifier"
            yield at, (f"{name!r} is {role}, so it votes; a mediator proposes and never "
                       "votes: give it one role")
        elif not _convenes(n, name):
            yield at, (f"{name!r} convenes no meeting, so it would never propose: make it a "
                       "scheduled meeting's host or meetings.convened_by")
        for p in mediator.bias:
            if p in s.actors and p not in n.parties:
                yield (*at, "bias", p), (f"{p!r} is not a party at the table (parties: "
                                         f"{', '.join(n.parties)})")
    yield from _check_rule(s, n)
    roles = [r for r in ("ratifiers", "mediators") if getattr(n, r)]
    if n.decision_rule != "unanimity":
        roles.append("decision_rule")
    if roles and n.protocol != "alternating":
        yield (("negotiation", roles[0]),
               f"{roles[0]} need the 'alternating' protocol (the one whose negotiators weigh "
               f"ratification and count votes); protocol is {n.protocol!r}")


def _convenes(n: Negotiation, actor: str) -> bool:
    return n.meetings.convened_by == actor or any(m.host == actor
                                                  for m in n.meetings.scheduled)


def _check_rule(s: Scenario, n: Negotiation) -> Iterator[tuple[Loc, str]]:
    """A weighted rule weighs every party; capabilities are weights of parties under it."""
    for actor in n.capability:
        if actor in s.actors and actor not in n.parties:
            yield (("negotiation", "capability", actor),
                   f"{actor!r} does not vote on texts (voters: {', '.join(n.parties)})")
    if n.decision_rule == "weighted":
        missing = [p for p in n.parties if p not in n.capability]
        if missing:
            yield (("negotiation", "decision_rule"),
                   f"decision_rule 'weighted' needs a capability for every party; missing for "
                   f"{', '.join(missing)}")
    elif n.capability:
        yield (("negotiation", "capability"),
               f"capability is read only under decision_rule 'weighted'; it is "
               f"{n.decision_rule!r}")


def _audiences(n: Negotiation) -> Iterator[tuple[Loc, str]]:
    """Audience costs are borne by parties at the table."""
    for i, m in enumerate(n.meetings.scheduled):
        for actor in m.audience_costs:
            if actor not in n.parties:
                yield (("negotiation", "meetings", "scheduled", i, "audience_costs", actor),
                       f"{actor!r} is not a party at the table{did_you_mean(actor, n.parties)}")


def _valuer_terms(n: Negotiation) -> Iterator[tuple[Loc, str]]:
    """Terms named in the weights and status-quo offers of parties and ratifiers."""
    for role in ("parties", "ratifiers"):
        for name, who in getattr(n, role).items():
            for term in who.weights:
                yield ("negotiation", role, name, "weights", term), term
            if isinstance(who.status_quo, dict):
                for term in who.status_quo:
                    yield ("negotiation", role, name, "status_quo", term), term


def _term_refs(s: Scenario, n: Negotiation) -> Iterator[tuple[Loc, str]]:
    yield from _valuer_terms(n)
    for i, c in enumerate(n.constraints):
        yield ("negotiation", "constraints", i, "term"), c.term
    for term in n.delivered_via:
        yield ("negotiation", "delivered_via", term), term
    for name, eff in s.effects.items():
        yield ("effects", name, "term"), eff.term
        if eff.requires is not None:
            yield ("effects", name, "requires", "term"), eff.requires.term
    yield from _interaction_terms(n)


def _interaction_terms(n: Negotiation) -> Iterator[tuple[Loc, str]]:
    for pname, party in n.parties.items():
        for i, inter in enumerate(party.interactions):
            for k, term in enumerate(inter.terms):
                yield ("negotiation", "parties", pname, "interactions", i, "terms", k), term


def _any_feasible(n: Negotiation) -> bool:
    for c in n.constraints:
        levels = n.terms.get(c.term, [])
        lo = -INF if c.min is None else c.min
        hi = INF if c.max is None else c.max
        if levels and not any(lo <= x <= hi for x in levels):
            return False
    return True


def _check_truce(s: Scenario) -> Iterator[tuple[Loc, str]]:
    t = s.truce
    if t is None:
        return
    if t.starts == "on_deal" and s.negotiation is None:
        yield ("truce", "starts"), "'on_deal' needs a negotiation block; give a day instead"
    for loc, name in _excited_parties(s, t):
        if name in s.actors and name not in t.parties:
            yield loc, f"{name!r} is not a truce party (parties: {', '.join(t.parties)})"
    for sp in s.spoilers:
        if sp in t.parties:
            yield (("spoilers", sp),
                   f"{sp!r} is a truce party; a spoiler attacks from outside the truce: drop it "
                   "from truce.parties or from spoilers")
    yield from _check_monitoring(s, t)
    yield from _check_table_parties(s, t)
    if t.breakdown.violations is None:
        radius = t.branching_radius(upper, lower)
        if radius >= 1:
            yield (("truce", "alpha"),
                   f"branching ratio {radius:.3g} >= 1 makes violations explode; lower alpha, "
                   "raise beta, or set a breakdown threshold")


def _excited_parties(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    """Every actor named where only truce parties belong (alpha, spoiler targets, beta rows,
    monitoring, exits' against, stakes)."""
    yield from _pair_refs(("truce", "alpha"), t.alpha)
    yield from _spoiler_targets(s)
    if isinstance(t.beta, dict):
        for i in t.beta:
            yield ("truce", "beta", i), i
    yield from _pair_refs(("truce", "monitoring", "attribution"), t.monitoring.attribution)
    for p in t.monitoring.detection:
        yield ("truce", "monitoring", "detection", p), p
    for p in t.stakes:
        yield ("truce", "stakes", p), p
    for p in t.covers:
        yield ("truce", "covers", p), p
    for p, ex in (t.exits.parties.items() if t.exits else ()):
        for j in ex.against or {}:
            yield ("truce", "exits", "parties", p, "against", j), j
    yield from _valued_parties(t)


def _valued_parties(t: Truce) -> Iterator[tuple[Loc, str]]:
    """Truce parties named by deterrence and by the truce's worth (per violation)."""
    for p in t.monitoring.deterrence:
        yield ("truce", "monitoring", "deterrence", p), p
    for p, w in (t.worth.parties.items() if t.worth else ()):
        for j in w.per_violation:
            yield ("truce", "worth", "parties", p, "per_violation", j), j


def _check_monitoring(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    """Attribution rows are probabilities summing to 1; beta sources are parties or spoilers."""
    for i, row in t.monitoring.attribution.items():
        total = sum(row.values())
        if abs(total - 1.0) > 1e-9:
            yield (("truce", "monitoring", "attribution", i),
                   f"attribution of {i}'s violations sums to {total:g}; expected 1")
    if isinstance(t.beta, dict):
        sources = set(t.parties) | set(s.spoilers)
        for i, decays in t.beta.items():
            for j in decays:
                if j in s.actors and j not in sources:
                    yield (("truce", "beta", i, j),
                           f"{j!r} is neither a truce party nor a spoiler")


def _check_table_parties(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    """Premium shifts and truce worth need parties at the table; exits and stakes need them or
    a stated worth; all need a truce on a deal."""
    table = list(s.negotiation.parties) if s.negotiation else []
    named: list[tuple[Loc, str]] = [(("truce", "collapse", "premium_shift", p), p)
                                    for p in t.collapse.premium_shift]
    named += [(("truce", "worth", "parties", p), p) for p in (t.worth.parties if t.worth else ())]
    for loc, p in named:
        if p in s.actors and p not in table:
            yield loc, f"{p!r} is not a party at the table (parties: {', '.join(table) or 'none'})"
    for loc, p, worth in _holders(t):
        if p in s.actors and p not in table and worth is None:
            yield loc, (f"{p!r} is not a party at the table (parties: {', '.join(table) or 'none'})"
                        "; an actor off the table needs a stated worth")
        elif p in table and worth is not None:
            yield loc, f"{p!r} is at the table: its worth comes from its utilities; drop worth"
    yield from _check_worth_terms(s, t)
    if (t.exits or t.stakes or t.worth) and t.starts != "on_deal":
        yield (("truce", "exits" if t.exits else "stakes" if t.stakes else "worth"),
               "declared exits, stakes and worth weigh a deal: the truce must start 'on_deal'")
    if t.collapse.meeting_rate_factor != 1 and s.negotiation is None:
        yield ("truce", "collapse", "meeting_rate_factor"), "needs a negotiation block"


def _check_worth_terms(s: Scenario, t: Truce) -> Iterator[tuple[Loc, str]]:
    terms = s.negotiation.terms if s.negotiation else {}
    for p, w in (t.worth.parties.items() if t.worth else ()):
        for term in w.per_day:
            if term not in terms:
                yield (("truce", "worth", "parties", p, "per_day", term),
                       f"unknown term {term!r}{did_you_mean(term, terms)}")


def _holders(t: Truce) -> Iterator[tuple[Loc, str, Any]]:
    """Who weighs the deal in each exit and stake, with the worth stated for it (or None)."""
    for p, ex in (t.exits.parties.items() if t.exits else ()):
        yield ("truce", "exits", "parties", p), p, ex.worth
    for p, stake in t.stakes.items():
        if isinstance(stake, Stake):
            yield ("truce", "stakes", p), stake.held_by or p, stake.worth
        else:
            yield ("truce", "stakes", p), p, None


def upper(value: Any) -> float:
    return value.support()[1] if hasattr(value, "support") else float(value)


def lower(value: Any) -> float:
    return value.support()[0] if hasattr(value, "support") else float(value)


def _check_target(s: Scenario, loc: Loc, target: str) -> Iterator[tuple[Loc, str]]:
    try:
        targets.parse(s, target)
    except ValueError as e:
        yield loc, str(e)


def _check_via(s: Scenario, loc: Loc, via: str) -> Iterator[tuple[Loc, str]]:
    parts = via.split(".")
    if len(parts) != 3 or parts[1] != "leverage":
        yield loc, f"via {via!r} must be ACTOR.leverage.CLIENT"
        return
    patron, _, client = parts
    if patron not in s.actors:
        yield loc, f"unknown actor {patron!r}{did_you_mean(patron, s.actors)}"
    elif client not in s.actors[patron].leverage:
        known = s.actors[patron].leverage
        yield loc, f"{patron} has no leverage over {client!r}{did_you_mean(client, known)}"


def did_you_mean(word: str, choices: Any) -> str:
    """A '; did you mean X?' suffix when a close match exists."""
    match = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


