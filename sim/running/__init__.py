"""Running: turning a scenario into replications done. Owns the chunking of a run (``runner``),
the one executor behind every command (serial, process pool, Dask: ``executor``), the early
stopping rule (``precision``), the streaming summary of records (``summary``) and sweep designs
and their samplers (``design``). May import ``engine``, ``scenario``, ``store``, ``stats`` and
``errors``; never ``operations``, ``output``, ``api`` or ``cli``."""
