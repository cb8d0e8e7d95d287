"""Output: what people read. Terminal tables (``render``), plots (``plots``), the HTML report
(``report``), the fit table (``fitreport``), typed results with DataFrames (``results``) and
text cleaning (``text``). Output only reads what a run stored: it never re-runs the model.
May import ``operations`` (for their pure formatting helpers), ``running``, ``engine``
(registries and records only), ``scenario``, ``store``, ``stats`` and ``errors``."""
