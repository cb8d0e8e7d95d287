"""The truce: multivariate Hawkes violations (exact next-event sampling with one decay rate,
thinning with several), what the monitor observes, and how the truce ends (the monitor's rule,
a party's declared exit) or degrades. docs/model.md, section 5.
"""

from __future__ import annotations

import math
from collections import deque
from functools import partial
from heapq import heappop, heappush
from math import exp, inf, log
from typing import Any

from simpy.events import NORMAL

from sim.engine.state import after
from sim.engine.world import World

STAKE = "stake"  # the LiveParams modifier of a party restrained by its stake
INF = inf  # a module global: read without an attribute lookup in the hot path
INLINE = 10_000  # violations played in a row from the queue before the event loop resumes


# What one violation does with one decay rate: (party, jump) pairs, and the parties other than
# the author rescheduled.
Effect = tuple[tuple[tuple[int, float], ...], tuple[int, ...]]


def declares(suffered: float, tolerance: float, worth: float) -> bool:
    """Whether a party leaves: what it suffers exceeds ``tolerance * max(worth, 0)``, where
    ``worth`` is the deal's value to it above its current no-deal value (its own units)."""
    return suffered > tolerance * max(worth, 0.0)


def restraint(sensitivity: float, stake: float) -> float:
    """The factor on a party's violation rate from what it would lose: ``exp(-s * stake)``."""
    return math.exp(-sensitivity * max(stake, 0.0))


class Pending:
    """A SimPy event for a party's next violation or thinning candidate: what
    :class:`~sim.engine.state.Call` is, with ``callbacks`` and ``args`` set after creation (no
    ``__init__`` frame: the truce makes one per violation)."""

    __slots__ = ("callbacks", "args")
    _ok = True  # SimPy reads it after the callbacks: the event succeeded
    callbacks: Any
    args: Any


def _groups(beta: list[list[float]], spoiler_beta: dict[str, list[float]]
            ) -> tuple[list[float], list[list[int]], dict[str, list[int]]]:
    """The distinct decay rates, and for each (party, source) pair the index of its rate."""
    rates: list[float] = []

    def index(b: float) -> int:
        if b not in rates:
            rates.append(b)
        return rates.index(b)

    pairs = [[index(b) for b in row] for row in beta]
    spoilers = {sp: [index(b) for b in row] for sp, row in spoiler_beta.items()}
    return rates or [1.0], pairs, spoilers


class Truce:
    """Violations of one truce as a multivariate Hawkes process with exponential kernels.

    ``lambda_i(t) = mu_i(t) + S_i(t)``, where ``S_i`` jumps by ``alpha[i][j]`` at each
    violation by ``j`` (and by a spoiler's excitation at each attack) and decays at
    ``beta[i][j]``; excitation is kept per distinct decay rate, so each part decays exactly.
    With one decay rate each party's next violation is drawn exactly (:func:`next_violation`,
    Dassios & Zhao 2013) from its own stream. With several, each party draws its next
    candidate time from its own stream with the current intensity as bound (valid until the
    next jump, since S only decays in between) and keeps it with probability
    ``lambda_i / bound`` (Ogata's thinning). A jump or a change in ``mu_i``
    discards the pending candidate and draws afresh, which the memoryless property allows.
    The monitor sees each violation with its party's detection probability and attributes it
    by the attribution matrix, from a ``monitor:PARTY`` stream; its rules act on what it sees.
    """

    def __init__(self, world: World):
        self.world = world
        spec = world.plan.scenario.truce
        assert spec is not None
        self.names = world.plan.truce_parties
        n = len(self.names)
        params = world.params
        self.alpha, self.rules = [list(row) for row in params.alpha], params.rules
        self.rates, self.group, self.spoiler_group = _groups(params.beta, params.spoiler_beta)
        self.base_rates = list(self.rates)
        self.excited_by = [[k for k in range(n) if self.alpha[k][j] > 0] for j in range(n)]
        self.monitored = list(self.rules.monitored)
        self.detection = list(self.rules.detection)
        self.live = world.live
        self.ramps = world.live.ramps  # a live view: a ramping rate is read at each candidate
        self.cover = [_unit(world.live[(p, "covers")]) for p in self.names]
        # Being seen deters every violation of party i, spontaneous or provoked (Becker 1968):
        # exp(-e_i d_i) times its whole intensity, as its coverage is.
        self.deterred = [math.exp(-e * d) if e > 0 else 1.0
                         for e, d in zip(self.rules.deterrence, self.detection, strict=True)]
        self.scale = [c * f for c, f in zip(self.cover, self.deterred, strict=True)]
        self.threshold = spec.breakdown.violations
        self.window = spec.breakdown.window_days
        self.delay = spec.delay_days
        self.judged_after = spec.judged_after_days
        self.on_deal_start = spec.starts == "on_deal"
        self.draws = [world.streams["truce:" + p] for p in self.names]
        self.keys = [(p, "violation_rate") for p in self.names]
        self.env = world.env
        self.eid = world.env._eid  # noqa: SLF001 (SimPy's event counter, read in the hot path)
        self.horizon = world.plan.horizon
        self.queue: list[Any] = world.env._queue  # noqa: SLF001 (SimPy's heap: the hot path)
        self.values = world.live.values  # a live view: read in the hot path without a call
        self.one_rate = len(self.rates) == 1
        self._on_candidate = (self._candidate_event,)
        self._on_violation = (self._violation_event,)
        self.active = self.pending = self.started = False
        self.levels = [[0.0] * n for _ in self.rates]
        self.since = 0.0
        self.next_event: list[Pending | None] = [None] * n  # each party's pending event
        self.mu = [0.0] * n  # base rate x scale, refreshed whenever either moves
        self.fast = False  # whether violations take _burst's way (set by _refresh_mu)
        self.ramped = [False] * n  # whether the base rate ramps (then thinning applies)
        self.n, self.parties = n, range(n)
        self.effects: list[list[Effect | None]] = [[None] * (n + 1) for _ in range(n)]
        self.plain = (self.threshold is None and self.rules.degraded is None
                      and not self.rules.exits)  # an observed violation only counts
        # Per party, true and observed violations: lists in the hot path, the record's
        # dicts filled from them by tally().
        self.violations, self.observed = [0] * n, [0] * n
        self.recent: deque[float] = deque()
        self.seen: deque[float] = deque()  # observed violation times in the degraded window
        self.suffered = [0.0] * len(self.rules.exits)
        self.suffered_at = 0.0
        self.count = 0
        self.first_end = math.nan
        self.since_start = 0.0
        self.breakdowns = self.declared = 0
        self.under = 0.0  # days under a truce, up to the last start or end
        for i, key in enumerate(self.keys):
            self._refresh_mu(i)
            world.live.subscribe(key, partial(self._rate_changed, i))
        self._follow_targets()
        if not self.on_deal_start:
            day = world.plan.scenario.day(spec.starts)  # type: ignore[arg-type]
            after(world.env, day, self.start)

    def on_deal(self) -> None:
        """A deal was struck: the truce starts after its delay."""
        if self.on_deal_start and not self.active:
            self.pending = True
            after(self.world.env, self.delay, self.start)

    def start(self) -> None:
        w = self.world
        if self.active or w.done or (self.on_deal_start and not w.deal_holds()):
            return
        self._restrain()
        self.pending, self.active, self.started = False, True, True
        if w.record.truce_start != w.record.truce_start:  # NaN: the first truce
            w.record.truce_start = w.now
        self.levels = [[0.0] * len(self.names) for _ in self.rates]
        self.since, self.count, self.since_start = w.now, 0, w.now
        self.suffered, self.suffered_at = [0.0] * len(self.suffered), w.now
        self.recent.clear()
        self.seen.clear()
        if w.tracing:
            w.log("truce", "truce starts; base rates " + ", ".join(
                f"{w.label(p)} {w.live[k]:.3g}/day" + (
                    f" (deterred: every violation x {f:.3g})" if f != 1.0 else "")
                for p, k, f in zip(self.names, self.keys, self.deterred, strict=True)))
        if w.aid is not None:
            w.aid.refresh()
        w.hush_spoilers(False)
        for i in range(len(self.names)):
            self._schedule(i)
        w.commitments.on_truce_start()

    # --- parameters that effects and shocks change (docs/model.md, section 7) -------------

    def _follow_targets(self) -> None:
        """Follow the truce's parameters that an effect or a shock of the scenario can move
        (nothing else moves them)."""
        live, names, plan = self.world.live, self.names, self.world.plan
        if plan.targeted(("truce", "beta")):
            live.subscribe(("truce", "beta"), self._beta_changed)
        for i, p in enumerate(names):
            if plan.targeted((p, "detection")):
                live.subscribe((p, "detection"), partial(self._detection_changed, i))
            if plan.targeted((p, "covers")):
                live.subscribe((p, "covers"), partial(self._cover_changed, i))
            for j, q in enumerate(names):
                if plan.targeted((p, "alpha." + q)):
                    live.subscribe((p, "alpha." + q), partial(self._alpha_changed, i, j))

    def _detection_changed(self, i: int) -> None:
        """Detection moved: the monitor sees with the new probability; deterrence follows."""
        d = self.detection[i] = _unit(self.live[(self.names[i], "detection")])
        self.monitored[i] = d < 1.0 or self.rules.attribution[i][i] != 1.0
        e = self.rules.deterrence[i]
        if e > 0:
            self.deterred[i] = math.exp(-e * d)
            self._rescale(i)

    def _alpha_changed(self, i: int, j: int) -> None:
        """A retaliation jump moved: later violations excite by the new one (what past ones
        left only decays, so the bound stays valid)."""
        self.alpha[i][j] = max(0.0, self.live[(self.names[i], "alpha." + self.names[j])])
        self.excited_by[j] = [k for k in range(len(self.names)) if self.alpha[k][j] > 0]
        self.effects = [[None] * (self.n + 1) for _ in range(self.n)]

    def _beta_changed(self) -> None:
        """Every kernel's decay rate times the factor: excitation decays at the old rates up
        to now, at the new ones after; each party's bound is recomputed."""
        self._decay()
        factor = self.live[("truce", "beta")]
        self.rates = [max(r * factor, 1e-9) for r in self.base_rates]
        if self.active:
            for i in range(len(self.names)):
                self._schedule(i)

    def _cover_changed(self, i: int) -> None:
        """The share of party i bound by the truce moved: its intensity times the share."""
        self.cover[i] = _unit(self.live[(self.names[i], "covers")])
        self._rescale(i)

    def _rescale(self, i: int) -> None:
        """Party i's coverage or deterrence moved: its whole intensity times the new factor."""
        self.scale[i] = self.cover[i] * self.deterred[i]
        self._rate_changed(i)

    # --- stakes ----------------------------------------------------------------------------

    def worth(self, seat: int | None, stated: float = 0.0) -> float:
        """What the deal in force is worth now to negotiation party ``seat`` above what it
        expects were it to break (``Talks.at_breakdown``: its no-deal value, or under a live
        deadline's threat its threat point), or (``seat`` None) the ``stated`` worth to an
        actor off the table."""
        w = self.world
        if w.deal is None or w.talks is None:
            return 0.0
        if seat is None:
            return stated
        return float(w.params.utilities[seat, w.deal]) - w.talks.at_breakdown[seat]

    def _restrain(self) -> None:
        """Stakes that restrain: each listed party's rate times exp(-s * stake) while it runs."""
        w = self.world
        for st in self.rules.stakes:
            if st.sensitivity > 0:
                stake = self.worth(st.seat, st.worth)
                factor = restraint(st.sensitivity, stake)
                w.live.modify(self.keys[st.party], STAKE, factor)
                w.log("stake", f"{w.label(self.names[st.party])} stands to lose "
                      f"{stake:.3g} at breakdown: rate x {factor:.3g}")

    def _release(self) -> None:
        for st in self.rules.stakes:
            if st.sensitivity > 0:
                self.world.live.modify(self.keys[st.party], STAKE, None)

    # --- violations ------------------------------------------------------------------------

    def excitation(self, k: int) -> float:
        """``S_k``: the sum of its parts, one per distinct decay rate."""
        levels = self.levels
        if len(levels) == 1:  # one beta for every pair: the common case, kept fast
            return levels[0][k]
        return sum(level[k] for level in levels)

    def _decay(self) -> None:
        # In place: the violation loop holds self.levels[0] in a local variable.
        now = self.env._now  # noqa: SLF001 (the hot path: no property call)
        if now > self.since:
            dt = now - self.since
            for level, rate in zip(self.levels, self.rates, strict=True):
                f = exp(-rate * dt)
                for k in self.parties:
                    level[k] *= f
            self.since = now

    def _refresh_mu(self, i: int) -> None:
        """Cache party i's base rate times its scale (coverage, deterrence), and whether the
        rate ramps: every change of either reaches here (``LiveParams`` tells its subscribers)."""
        key = self.keys[i]
        self.mu[i] = self.values.get(key, 0.0) * self.scale[i]
        self.ramped[i] = key in self.ramps
        self.fast = (self.one_rate and not self.world.tracing and not any(self.ramped)
                     and min(self.mu) > 0)

    def _schedule(self, i: int) -> None:
        """Party i's next violation (one decay rate, no ramp) or candidate (thinning); its
        pending event, if any, is voided."""
        if self.one_rate and not self.ramped[i]:
            self._next(i)
            return
        key = self.keys[i]
        mu = self.live.bound(key, self.env._now) if self.ramped[i] else self.values.get(
            key, 0.0)  # noqa: SLF001
        bound = (mu + self.excitation(i)) * self.scale[i]
        if bound <= 0:
            self.next_event[i] = None
            return
        event = self.next_event[i] = Pending()
        event.callbacks, event.args = self._on_candidate, (i, bound)
        env = self.env
        heappush(self.queue, (env._now + self.draws[i].exp() / bound, NORMAL,  # noqa: SLF001
                              next(env._eid), event))  # noqa: SLF001

    def _next(self, i: int, event: Pending | None = None) -> None:
        """Party i's next violation, exactly, with one decay rate and a base rate constant
        until its next change (which reschedules). Its intensity ``mu + S exp(-beta t)`` from
        now, coverage scaling both parts (Dassios & Zhao 2013): the first of the baseline's
        arrival ``E1 / mu`` and the excitation's own, ``-log(1 - beta E2 / S) / beta`` when
        ``beta E2 < S`` (else never); ``E1, E2`` unit exponentials from the party's stream,
        both drawn always so that variants stay paired. Neither: no event. ``event``: the
        party's spent event (taken from the queue), used again rather than a new one."""
        if self.ramped[i]:
            self._schedule(i)
            return
        draw = self.draws[i].exp
        e1, e2, mu = draw(), draw(), self.mu[i]
        wait = e1 / mu if mu > 0 else INF
        excitation = self.levels[0][i] * self.scale[i]
        if excitation > 0:
            beta = self.rates[0]
            d = 1.0 - beta * e2 / excitation
            if d > 0 and -log(d) / beta < wait:  # min(), without the call
                wait = -log(d) / beta
        if wait == INF:
            self.next_event[i] = None
            return
        if event is None:
            event = Pending()
            event.args = i
        event.callbacks = self._on_violation
        self.next_event[i] = event
        heappush(self.queue, (self.env._now + wait, NORMAL, next(self.eid), event))  # noqa: SLF001

    def _violation_event(self, event: Pending) -> None:
        """A violation; then, while the head of SimPy's queue is one of this truce's
        violations (live or voided) within the horizon, take it from the queue and play it
        here: what ``env.step`` would do next (same order, same clock), without a trip through
        the event loop. At most ``INLINE`` in a row, so the event limit is still checked.
        A violation that ends the truce stops the loop: SimPy then plays what follows (the
        events voided by the end find their party's pending event gone, and do nothing)."""
        if self.fast:
            self._burst(event)
            return
        env, queue, w = self.env, self.queue, self.world
        horizon, mine, pending = self.horizon, self._on_violation, self.next_event
        play = self._traced if w.tracing else self._strike
        taken = 0
        for _ in range(INLINE):
            # Voided by a later schedule or by the truce's end: nothing to do.
            if pending[event.args] is event and play(event):
                break
            if not queue:
                break
            t, _, _, event = queue[0]
            if event.callbacks is not mine or t > horizon:
                break
            heappop(queue)
            env._now = t  # noqa: SLF001 (as env.step sets it)
            taken += 1
        w.inline += taken

    def _burst(self, event: Pending) -> None:
        """:meth:`_violation_event`'s loop when :meth:`_refresh_mu` found it ``fast`` (one
        decay rate, every base rate positive and none ramping, no story): :meth:`_strike` and
        :meth:`_next` inlined, the same steps with the same floating-point operations in the
        same order; inlined because the Python calls per violation were a quarter of its
        cost. What a violation excites comes from :meth:`_effect`, the monitor's rule from
        :meth:`_monitor`, the other parties' next violations from :meth:`_next`."""
        env, queue, mine, pending = self.env, self.queue, self._on_violation, self.next_event
        levels, beta, mus, scale, draws = self.levels[0], self.rates[0], self.mu, self.scale, \
            self.draws
        eid, effects, n, monitored = self.eid, self.effects, self.n, self.monitored
        observed, plain, horizon, parties = self.observed, self.plain, self.horizon, self.parties
        counted = taken = 0
        for _ in range(INLINE):
            i = event.args
            if pending[i] is event:  # else voided by a later schedule or by the truce's end
                now = env._now  # noqa: SLF001
                f = exp(-beta * (now - self.since))  # 1.0 exactly when no time has passed
                for k in parties:
                    levels[k] *= f
                self.since = now
                self.violations[i] += 1
                seen = self._observe(i) if monitored[i] else i
                jumps, others = effects[i][n if seen is None else seen] or self._effect(i, seen)
                for k, jump in jumps:
                    levels[k] += jump
                if seen is not None:
                    if plain:  # _monitor with nothing but counting to do
                        observed[seen] += 1
                        counted += 1
                    elif self._monitor(seen):
                        break  # the truce ended
                draw = draws[i].exp
                e1, e2, excitation = draw(), draw(), levels[i] * scale[i]
                wait = e1 / mus[i]  # every base rate positive here: the baseline's arrival
                d = 1.0 - beta * e2 / excitation if excitation > 0 else 0.0
                x = -log(d) / beta if d > 0 else INF  # the excitation's own arrival
                event.callbacks = mine  # SimPy set None on the event it played
                heappush(queue, (now + (x if x < wait else wait), NORMAL, next(eid), event))
                for k in others:
                    self._next(k)
            t, _, _, event = queue[0] if queue else _NOTHING
            if event.callbacks is not mine or t > horizon:
                break
            heappop(queue)
            env._now = t  # noqa: SLF001 (as env.step sets it)
            taken += 1
        self.count += counted
        self.world.inline += taken

    def _traced(self, event: Pending) -> bool:
        self._decay()
        return self._violate(event.args)

    def _strike(self, event: Pending) -> bool:
        """:meth:`_decay` and :meth:`_violate` with one decay rate and no story: the same
        steps in the same order, what a violation excites taken from :meth:`_effect`; the
        spent ``event`` carries the author's next violation. True: the truce ended."""
        i, now, levels = event.args, self.env._now, self.levels[0]  # noqa: SLF001
        if now > self.since:
            f = exp(-self.rates[0] * (now - self.since))
            for k in self.parties:  # in place, no comprehension frame
                levels[k] *= f
            self.since = now
        self.violations[i] += 1
        seen = self._observe(i) if self.monitored[i] else i
        jumps, others = self.effects[i][self.n if seen is None else seen] or self._effect(i, seen)
        for k, jump in jumps:
            levels[k] += jump
        if seen is not None:
            if self.plain:  # _monitor with nothing but counting to do
                self.observed[seen] += 1
                self.count += 1
            elif self._monitor(seen):
                return True
        self._next(i, event)
        for k in others:
            self._next(k)
        return False

    def _effect(self, author: int, seen: int | None) -> Effect:
        """What a violation by ``author`` seen as ``seen``'s (None: unseen) does with one
        decay rate: the (party, jump) pairs it excites and the parties other than the author
        then rescheduled, in :meth:`_violate`'s order; kept in ``effects`` until an alpha
        moves."""
        alpha = self.alpha
        if self.rules.perceived:
            own = [(author, alpha[author][author])] if alpha[author][author] > 0 else []
            others = [] if seen is None else [(k, alpha[k][seen]) for k in self.excited_by[seen]
                                              if k != author and k != seen]
            jumps = own + others
        else:
            jumps = [(k, alpha[k][author]) for k in self.excited_by[author]]
        effect = tuple(jumps), tuple(k for k, _ in jumps if k != author)
        self.effects[author][self.n if seen is None else seen] = effect
        return effect

    def _candidate_event(self, event: Pending) -> None:
        i, bound = event.args
        if self.next_event[i] is not event or not self.active:
            return
        self._decay()
        key = self.keys[i]
        mu = self.values.get(key, 0.0) if key not in self.ramps else self.live.at(
            key, self.env._now)  # noqa: SLF001
        rate = (mu + (self.levels[0][i] if self.one_rate else self.excitation(i))) * self.scale[i]
        if self.draws[i].uniform() * bound < rate:
            self._violate(i)
        else:
            self._schedule(i)

    def _violate(self, i: int) -> bool:
        """A violation by party i (True: it ended the truce)."""
        w = self.world
        name = self.names[i]
        self.violations[i] += 1
        seen = self._observe(i) if self.monitored[i] else i
        if self.rules.perceived:
            excited = self._perceive(seen, i)
        else:
            excited = self.excited_by[i]
            for k in excited:
                self.levels[self.group[k][i]][k] += self.alpha[k][i]
        if w.tracing:
            was = (w.live[self.keys[i]] + self.excitation(i) - self.alpha[i][i]) * self.scale[i]
            w.log("violation", f"violation by {w.label(name)} ({self._seen_text(seen)}; rate "
                  f"was {was:.3g}/day)",
                  party=name, observed=None if seen is None else self.names[seen])
        if seen is not None and self._monitor(seen):
            return True
        self._schedule(i)
        for k in excited:
            if k != i:
                self._schedule(k)
        return False

    def _perceive(self, source: int | None, author: int | None) -> list[int]:
        """Excite every party reacting to a violation perceived as ``source``'s (None: unseen)
        whose true author is ``author`` (None: a spoiler's blamed attack). The author knows
        its own act: it reacts by ``alpha[author][author]`` alone. Every other party k reacts
        by ``alpha[k][source]``, except the one blamed, which knows the act is not its own.
        Returns the parties excited, in order."""
        excited = []
        if author is not None and self.alpha[author][author] > 0:
            self.levels[self.group[author][author]][author] += self.alpha[author][author]
            excited.append(author)
        if source is None:
            return excited
        for k in self.excited_by[source]:
            if k != author and k != source:
                self.levels[self.group[k][source]][k] += self.alpha[k][source]
                excited.append(k)
        return excited

    def _seen_text(self, seen: int | None) -> str:
        # the observed count is updated just after this line is told
        true, observed = sum(self.violations), sum(self.observed)
        if seen is None:
            return f"not observed; {true} true, {observed} observed in the run"
        who = self.world.label(self.names[seen])
        return f"observed, attributed to {who}; {true} true, {observed + 1} observed in the run"

    def _observe(self, i: int) -> int | None:
        """The party the monitor attributes i's violation to, or None when it is missed."""
        draws = self.world.streams["monitor:" + self.names[i]]
        detected, pick = draws.uniform(), draws.uniform()  # always two: paired across variants
        if detected >= self.detection[i]:
            return None
        row, total = self.rules.attribution[i], 0.0
        for j, p in enumerate(row):
            total += p
            if pick < total:
                return j
        return max(range(len(row)), key=row.__getitem__)  # rounding: the likeliest party

    def _monitor(self, j: int) -> bool:
        """An observed violation attributed to j: the monitor's rule, then declared exits;
        True when the truce ended."""
        self.observed[j] += 1
        self.count += 1
        if self.rules.degraded is not None:
            self._degrade()
        if self.threshold is not None and self._over_threshold():
            span = f"in {self.window:g} days" if self.window else "since the start"
            self.end(f"{len(self.recent) if self.window else self.count} observed violations "
                     f"{span} reached the threshold {self.threshold}")
            return True
        return bool(self.suffered) and self._exit(j)

    def _over_threshold(self) -> bool:
        if self.threshold is None:
            return False
        if self.window is None:
            return self.count >= self.threshold
        return _in_window(self.recent, self.world.env.now, self.window) >= self.threshold

    def _degrade(self) -> None:
        rule = self.rules.degraded
        if rule is None:
            return
        before = len(self.seen) >= rule[0]
        if _in_window(self.seen, self.world.env.now, rule[1]) >= rule[0] and not before:
            self.world.log("degraded", f"truce degraded: {len(self.seen)} observed violations "
                           f"in {rule[1]:g} days")

    def degraded_at(self, t: float) -> bool:
        """Whether the observed violations in ``[t - W, t]`` reach the degraded level."""
        rule = self.rules.degraded
        return rule is not None and sum(x >= t - rule[1] for x in self.seen) >= rule[0]

    def _exit(self, j: int) -> bool:
        """Each party that may declare the truce over weighs the violation against it."""
        if not self.suffered:
            return False
        now = self.world.env.now
        fade = 0.5 ** ((now - self.suffered_at) / self.rules.half_life)
        self.suffered_at = now
        for e, ex in enumerate(self.rules.exits):
            self.suffered[e] = self.suffered[e] * fade + ex.against[j]
            worth = self.worth(ex.seat, ex.worth)
            if ex.against[j] > 0 and declares(self.suffered[e], ex.tolerance, worth):
                self.end(f"{self.world.label(ex.name)} declared the truce over: "
                         f"{self.suffered[e]:.3g} weighted violations against it exceed "
                         f"tolerance {ex.tolerance:g} x worth {worth:.3g}", by=ex.name)
                return True
        return False

    def excite(self, jumps: list[float], source: str) -> None:
        """An outside attack raises the parties' violation rates; when it is blamed on a
        truce party it also counts as that party's observed violation (monitor, exits and,
        with perceived retaliation, the others' reaction)."""
        if not self.active:
            return
        self._decay()
        groups = self.spoiler_group[source]
        excited = [k for k, jump in enumerate(jumps) if jump > 0]
        for k in excited:
            self.levels[groups[k]][k] += jumps[k]
        blamed = self._blame(source)
        if blamed is not None:
            self.world.record.blamed_attacks += 1
            if self.rules.perceived:
                excited += self._perceive(blamed, None)
            self.world.log("blame", "the attack is blamed on "
                           f"{self.world.label(self.names[blamed])}", party=self.names[blamed])
            if self._monitor(blamed):
                return
        for k in dict.fromkeys(excited):
            self._schedule(k)

    def _blame(self, source: str) -> int | None:
        """The truce party a spoiler's attack is blamed on (one uniform from ``blame:SPOILER``),
        or None."""
        row = self.rules.blame.get(source)
        if row is None:
            return None
        pick, total = self.world.streams["blame:" + source].uniform(), 0.0
        for j, p in enumerate(row):
            total += p
            if pick < total:
                return j
        return None

    def _rate_changed(self, i: int) -> None:
        self._refresh_mu(i)
        if self.active:
            self._decay()
            self._schedule(i)

    def end(self, cause: str, by: str = "") -> None:
        """The truce breaks down (``by``: the party that declared it over, if any)."""
        if not self.active:
            return
        w = self.world
        self.active = False
        self.next_event[:] = [None] * len(self.names)
        self._release()
        self.breakdowns += 1
        self.declared += bool(by)
        self.under += w.now - self.since_start
        if self.first_end != self.first_end:
            self.first_end = w.now
            w.record.truce_end, w.record.breakdown_cause = w.now, cause
            w.record.declared_by = by
        w.log("breakdown", f"TRUCE BREAKS DOWN: {cause}")
        w.hush_spoilers(True)
        if w.aid is not None:
            w.aid.refresh()
        w.breakdown(cause)

    def tally(self) -> None:
        """Write the true and observed violations per party into the record."""
        rec = self.world.record
        rec.violations.update(zip(self.names, self.violations, strict=True))
        rec.observed.update(zip(self.names, self.observed, strict=True))

    def close(self, end: float) -> None:
        """Complete the record: the first truce (censored at ``end`` if it still held), days
        under any truce, breakdowns and violations per day under a truce."""
        self.tally()
        rec = self.world.record
        under = self.under + (end - self.since_start if self.active else 0.0)
        rec.breakdowns = self.breakdowns
        rec.declared_breakdowns = self.declared
        rec.days_under_truce = under
        rec.truce_share = under / self.world.plan.horizon if self.world.plan.horizon else 0.0
        if under > 0:
            rec.violations_per_truce_day = sum(rec.violations.values()) / under
            rec.observed_per_truce_day = sum(rec.observed.values()) / under
        if rec.truce_start != rec.truce_start:
            return
        censored = self.first_end != self.first_end
        rec.truce_censored = censored
        rec.truce_days = (end if censored else self.first_end) - rec.truce_start


# The head of an empty queue for _burst: no violation, so its loop stops.
_NOTHING = (INF, NORMAL, 0, Pending())
_NOTHING[3].callbacks = None


def _unit(x: float) -> float:
    """A share or probability clipped to [0, 1]."""
    return min(1.0, max(0.0, x))


def _in_window(times: deque[float], now: float, window: float) -> int:
    """Add ``now`` and drop times before ``now - window`` (both ends count); the count left."""
    times.append(now)
    while times[0] < now - window:
        times.popleft()
    return len(times)
