"""Filtering a raw crawl into clean question/answer records (``gaokerena crawl filter``).

Modules, one job each: ``config`` (thresholds), ``records`` (reading both record shapes),
``rules`` (pure keep/drop tests), ``pii`` (scrubbing), ``dedup`` (exact and MinHash/LSH near
duplicates), ``pipeline`` (the order of the steps), ``report`` (JSON and PNG charts),
``compare`` (precision/recall against a reference kept set), ``cli`` (the subcommand).
"""
