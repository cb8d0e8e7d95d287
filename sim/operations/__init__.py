"""Operations: what a user asks for, one module each: a run (``run``), a comparison on common
random numbers (``comparison``), a sweep (``sweeps``), scenario discovery (``discovery``), a
traced replication (``story``) and reading incidents for ``fit`` (``incidents``). May import
``running``, ``engine``, ``scenario``, ``store``, ``stats`` and ``errors``; never ``output``,
``api`` or ``cli``."""
