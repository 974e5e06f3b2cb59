"""Errors a user can act on.

Every exception here carries a message written for the person at the keyboard: what went
wrong, where, and what to do. The command line prints it and exits non-zero without a
traceback; anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations


class GaokerenaError(Exception):
    """Base class for errors caused by input, files or environment rather than by a bug."""


class DataError(GaokerenaError):
    """An input file or dataset cannot be read as records (with its path and line)."""


class QueryError(GaokerenaError):
    """A query that cannot be searched: empty, too long, or not Persian."""


class IndexFormatError(GaokerenaError):
    """An index folder that is missing files, damaged, or built for another embedder."""


class EmbedderUnavailable(GaokerenaError):
    """An embedding model that cannot be loaded here (not on disk, no network)."""


class IndexTooLarge(GaokerenaError):
    """An index whose searchable parts need more memory than the machine has free."""
