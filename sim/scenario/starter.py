"""The scenario ``negsim init NAME`` writes: small, commented, valid, and a mix of outcomes.

Two parties bargain over one term before a deadline; a deal starts a truce between them. The
text is kept here (not in ``scenarios/``) so that it ships with the code and is never listed as
a shipped scenario to run.
"""

from __future__ import annotations

TEMPLATE = """\
# A starting scenario written by `negsim init`: two parties bargain over one term before a
# deadline, and a deal starts a truce between them. Every number is illustrative: replace it
# with your own judgement, and say why in the comment beside it.
# Check it with `negsim validate NAME.yaml`, run it with `negsim run NAME.yaml`, and see every
# field in docs/scenario-reference.md (or your editor's completion, from the schema above).
name: NAME
title: Two parties, one term, a deadline and a truce
description: >
  Side A and side B bargain over how far a ceasefire line is pulled back. Side A has said it
  will act on day 30 if there is no deal; a deal starts a truce that either side may break.
start: 2025-01-01        # day 0: the talks open
horizon_days: 90         # how long to follow what happens
seed: 1                  # any whole number: the same seed gives the same numbers
runs: 1000               # replications: outcome shares to about +-1.5 percentage points
actors:
  side_a:
    label: Side A
    violation_rate: 0.05 # violations of the truce per day, before any retaliation
  side_b:
    label: Side B
    violation_rate: 0.08 # a looser chain of command: more violations per day
negotiation:
  parties:
    side_a:
      weights: {pullback: 1}     # side A gains from a larger pullback
      horizon_days: 30           # concedes towards its no-deal value by its own deadline
      e: 1.0                     # ... steadily (linear)
    side_b:
      weights: {pullback: -1}    # side B loses from it
      horizon_days: 30           # it knows the deadline too
      e: 0.5                     # ... and holds out for it (Boulware)
  terms:
    pullback: [0, 0.25, 0.5, 0.75, 1]   # share of the distance side A asks for
  meetings:
    scheduled:
      - {day: 7, label: first round of talks, host: side_a}
      - {day: 21, label: second round of talks, host: side_b}
    rate_per_day: 0.1    # an extra meeting about every ten days
  rounds_per_meeting: 2  # one proposal from each side per meeting
deadline:
  set_by: side_a
  day: 30                # side A's ultimatum
  credibility: 0.5       # even odds that side A acts on it
  plan_b:
    label: offensive
    payoffs:
      side_a: -0.2       # an offensive costs side A too
      side_b: -0.6       # and side B more
truce:
  parties: [side_a, side_b]
  starts: on_deal        # the deal starts the truce
  alpha:                 # jump in the row side's daily rate per violation by the column side
    side_a: {side_b: 0.2}
    side_b: {side_a: 0.2}
  beta: 1.0              # retaliation fades within about a day (1/beta)
  breakdown:
    violations: 5        # the truce is over at the fifth violation ...
    window_days: 7       # ... within any week
"""


def starter(name: str) -> str:
    """The starting scenario named ``name``, with the format version line when the format
    has one (``format: 2``, right after the schema line the caller adds)."""
    from sim.scenario.model import Scenario

    text = TEMPLATE.replace("\nname: NAME\n", f"\nname: {name}\n", 1)
    if "format" in Scenario.model_fields:
        return "format: 2\n" + text
    return text
