"""Preference pairs from the web app's votes file, with an account of every line left out.

``gaokerena serve --votes-file FILE`` appends one JSON object per opted-in vote (see
``ui/votes.py``): the question, both answers, the vote (``plain``, ``rag``, ``tie`` or
``both_bad``) and, for a clear vote, TRL's conversational ``prompt`` / ``chosen`` /
``rejected`` fields. Only clear votes teach a preference. Ties and "both bad" are counted and
left out; a line that is not JSON (a write cut off by a crash) is *torn*; a JSON line that is
not a vote record of this shape (another tool's file, a hand edit) is *foreign*; both are
reported with their line numbers, so the file can be fixed rather than silently shrunk.

Example (one clear vote, as the file holds it, shortened)::

    {"question": "سرم تیر می‌کشد", "vote": "rag",
     "prompt": [{"role": "user", "content": "سرم تیر می‌کشد"}],
     "chosen": [{"role": "assistant", "content": "..."}],
     "rejected": [{"role": "assistant", "content": "..."}], ...}
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import DataError

CLEAR = ("plain", "rag")
UNCLEAR = ("tie", "both_bad")
#: Reasons a line is left out, in the order a report lists them.
REASONS = ("tie", "both_bad", "same_answers", "torn", "foreign")


@dataclass
class VotesRead:
    """The usable pairs of a votes file, and what was left out, per reason and line."""

    path: str
    pairs: list[dict[str, Any]] = field(default_factory=list)
    left_out: Counter = field(default_factory=Counter)
    lines: dict[str, list[int]] = field(default_factory=dict)
    votes: Counter = field(default_factory=Counter)

    def leave_out(self, reason: str, line: int) -> None:
        self.left_out[reason] += 1
        self.lines.setdefault(reason, []).append(line)

    def counts(self) -> dict[str, int]:
        return {"pairs": len(self.pairs), **{r: self.left_out.get(r, 0) for r in REASONS}}

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, **self.counts(), "votes": dict(self.votes),
                "lines": {reason: lines[:50] for reason, lines in self.lines.items()
                          if reason in ("torn", "foreign")}}

    def describe(self) -> str:
        """One line: what was kept and left out, with the first bad line numbers."""
        parts = [f"{len(self.pairs)} usable pairs"]
        for reason in REASONS:
            if self.left_out.get(reason):
                where = ""
                if reason in ("torn", "foreign"):
                    shown = self.lines[reason][:10]
                    more = "..." if len(self.lines[reason]) > 10 else ""
                    where = f" (line {', '.join(map(str, shown))}{more})"
                parts.append(f"{self.left_out[reason]} {reason.replace('_', ' ')}{where}")
        return f"{self.path}: " + ", ".join(parts)


def _message_list(value: Any, role: str | None = None) -> bool:
    return (isinstance(value, list) and bool(value) and all(
        isinstance(m, dict) and isinstance(m.get("content"), str) and
        isinstance(m.get("role"), str) and (role is None or m["role"] == role)
        for m in value))


def _pair(record: dict[str, Any]) -> dict[str, Any] | None:
    """TRL's conversational preference row, or None when the fields are not that shape."""
    prompt, chosen, rejected = (record.get(k) for k in ("prompt", "chosen", "rejected"))
    if not (_message_list(prompt) and _message_list(chosen, "assistant") and
            _message_list(rejected, "assistant")):
        return None
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def read_votes(path: str | Path) -> VotesRead:
    """Every clear vote of ``path`` as a preference pair; everything else counted by reason.

    Raises DataError when the file is missing or not UTF-8 text.
    """
    path = Path(path)
    result = VotesRead(path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such votes file; `gaokerena serve --votes-file {path}` "
                        "writes it as users vote") from None
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text ({error.reason}); it is not a votes "
                        "file") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            result.leave_out("torn", number)
            continue
        vote = record.get("vote") if isinstance(record, dict) else None
        if vote in UNCLEAR:
            result.votes[vote] += 1
            result.leave_out(vote, number)
            continue
        pair = _pair(record) if vote in CLEAR else None
        if pair is None:
            result.leave_out("foreign", number)
            continue
        result.votes[vote] += 1
        if pair["chosen"][-1]["content"].strip() == pair["rejected"][-1]["content"].strip():
            result.leave_out("same_answers", number)  # nothing to prefer
            continue
        result.pairs.append(pair)
    return result


def require_pairs(read: VotesRead, minimum: int = 1) -> None:
    """Stop with the counts per reason when fewer than ``minimum`` pairs are usable."""
    if len(read.pairs) >= max(minimum, 1):
        return
    need = "no usable preference pair" if not read.pairs else (
        f"only {len(read.pairs)} usable pairs, fewer than dpo.min_pairs={minimum}")
    raise DataError(f"{need} in {read.describe()}. Only clear votes (one answer better) "
                    "teach a preference; collect more with `gaokerena serve --votes-file`.")
