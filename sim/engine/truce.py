"""The truce: multivariate Hawkes violations by thinning, and the breakdown monitor."""

from __future__ import annotations

import math
from collections import deque
from functools import partial

from sim.engine.state import after
from sim.engine.world import World


class Truce:
    """Violations of one truce as a multivariate Hawkes process with exponential kernel.

    ``lambda_i(t) = mu_i(t) + S_i(t)``, where ``S_i`` jumps by ``alpha[i][j]`` at each
    violation by ``j`` (and by a spoiler's excitation at each attack) and decays at ``beta``.
    Each party draws its next candidate time from its own stream with the current intensity
    as bound (valid until the next jump, since S only decays in between) and keeps it with
    probability ``lambda_i / bound`` (Ogata's thinning). A jump or a change in ``mu_i``
    discards the pending candidate and draws afresh, which the memoryless property allows.
    """

    def __init__(self, world: World):
        self.world = world
        spec = world.plan.scenario.truce
        assert spec is not None
        self.names = world.plan.truce_parties
        n = len(self.names)
        self.alpha, self.beta = world.params.alpha, world.params.beta
        self.excited_by = [[k for k in range(n) if self.alpha[k][j] > 0] for j in range(n)]
        self.threshold = spec.breakdown.violations
        self.window = spec.breakdown.window_days
        self.delay = spec.delay_days
        self.on_deal_start = spec.starts == "on_deal"
        self.draws = [world.streams["truce:" + p] for p in self.names]
        self.keys = [(p, "violation_rate") for p in self.names]
        self.active = self.pending = self.started = False
        self.level = [0.0] * n
        self.since = 0.0
        self.tokens = [0] * n
        self.recent: deque[float] = deque()
        self.count = 0
        self.first_end = math.nan
        self.since_start = 0.0
        self.breakdowns = 0
        self.under = 0.0  # days under a truce, up to the last start or end
        for i, key in enumerate(self.keys):
            world.live.subscribe(key, partial(self._rate_changed, i))
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
        self.pending, self.active, self.started = False, True, True
        if w.record.truce_start != w.record.truce_start:  # NaN: the first truce
            w.record.truce_start = w.now
        self.level = [0.0] * len(self.names)
        self.since, self.count, self.since_start = w.now, 0, w.now
        self.recent.clear()
        if w.tracing:
            w.log("truce", "truce starts; base rates " + ", ".join(
                f"{w.label(p)} {w.live[k]:.3g}/day"
                for p, k in zip(self.names, self.keys, strict=True)))
        if w.aid is not None:
            w.aid.refresh()
        for i in range(len(self.names)):
            self._schedule(i)

    def _decay(self) -> None:
        now = self.world.env.now
        if now > self.since:
            f = math.exp(-self.beta * (now - self.since))
            self.level = [x * f for x in self.level]
            self.since = now

    def _schedule(self, i: int) -> None:
        self.tokens[i] += 1
        bound = self.world.live[self.keys[i]] + self.level[i]
        if bound <= 0:
            return
        token = self.tokens[i]
        delay = self.draws[i].exp() / bound
        self.world.env.timeout(delay).callbacks.append(
            lambda _: self._candidate(i, token, bound))

    def _candidate(self, i: int, token: int, bound: float) -> None:
        if token != self.tokens[i] or not self.active:
            return
        self._decay()
        rate = self.world.live[self.keys[i]] + self.level[i]
        if self.draws[i].uniform() * bound < rate:
            self._violate(i)
        else:
            self._schedule(i)

    def _violate(self, i: int) -> None:
        w = self.world
        name = self.names[i]
        w.record.violations[name] += 1
        self.count += 1
        for k in self.excited_by[i]:
            self.level[k] += self.alpha[k][i]
        if w.tracing:
            w.log("violation", f"violation by {w.label(name)} (#{self.count}; rate was "
                  f"{w.live[self.keys[i]] + self.level[i] - self.alpha[i][i]:.3g}/day)",
                  party=name)
        if self._over_threshold():
            span = f"in {self.window:g} days" if self.window else "since the start"
            self.end(f"{len(self.recent) if self.window else self.count} violations {span} "
                     f"reached the threshold {self.threshold}")
            return
        self._schedule(i)
        for k in self.excited_by[i]:
            if k != i:
                self._schedule(k)

    def _over_threshold(self) -> bool:
        if self.threshold is None:
            return False
        if self.window is None:
            return self.count >= self.threshold
        now = self.world.env.now
        self.recent.append(now)
        while self.recent[0] < now - self.window:
            self.recent.popleft()
        return len(self.recent) >= self.threshold

    def excite(self, jumps: list[float], source: str) -> None:
        """An outside attack raises the parties' violation rates."""
        if not self.active:
            return
        self._decay()
        for k, jump in enumerate(jumps):
            if jump > 0:
                self.level[k] += jump
                self._schedule(k)

    def _rate_changed(self, i: int) -> None:
        if self.active:
            self._decay()
            self._schedule(i)

    def end(self, cause: str) -> None:
        """The truce breaks down."""
        if not self.active:
            return
        w = self.world
        self.active = False
        self.tokens = [t + 1 for t in self.tokens]
        self.breakdowns += 1
        self.under += w.now - self.since_start
        if self.first_end != self.first_end:
            self.first_end = w.now
            w.record.truce_end, w.record.breakdown_cause = w.now, cause
        w.log("breakdown", f"TRUCE BREAKS DOWN: {cause}")
        if w.aid is not None:
            w.aid.refresh()
        w.breakdown(cause)

    def close(self, end: float) -> None:
        """Complete the record: the first truce (censored at ``end`` if it still held), days
        under any truce, breakdowns and violations per day under a truce."""
        rec = self.world.record
        under = self.under + (end - self.since_start if self.active else 0.0)
        rec.breakdowns = self.breakdowns
        rec.days_under_truce = under
        rec.truce_share = under / self.world.plan.horizon if self.world.plan.horizon else 0.0
        if under > 0:
            rec.violations_per_truce_day = sum(rec.violations.values()) / under
        if rec.truce_start != rec.truce_start:
            return
        censored = self.first_end != self.first_end
        rec.truce_censored = censored
        rec.truce_days = (end if censored else self.first_end) - rec.truce_start
