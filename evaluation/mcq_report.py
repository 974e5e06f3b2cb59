"""Accuracy tables from per-question results: per file (MMLU subject), topic, exam, mode.

Everything here is a pure function of the result rows except ``plot_report`` (a PNG) and
``load_paper_reference`` (a bundled JSON file). IBMSEE rows are the ones with an ``exam``
field; each exam session and each IBMSEE file gets pass/fail against the 36% pass mark.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from index.files import save_figure_atomic

PASS_MARK = 0.36
_LATIN_EXAM_WORDS = {"دندانپزشکی": "dentistry", "پزشکی": "medicine", "شهریور": "Shahrivar",
                     "اسفند": "Esfand", "خرداد": "Khordad", "دی": "Dey", "مهر": "Mehr"}
_PERSIAN_LETTER = re.compile(r"[\u0600-\u06ff]")


def load_paper_reference() -> dict[str, Any]:
    """The paper's figures, as bundled in ``evaluation/data/paper_reference.json``."""
    text = resources.files("evaluation").joinpath("data/paper_reference.json").read_text(
        encoding="utf-8")
    return json.loads(text)


def _accuracy(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    rows = list(rows)
    correct = sum(1 for row in rows if row["correct"])
    return {"n": len(rows), "correct": correct,
            "accuracy": round(correct / len(rows), 4) if rows else None}


def group_accuracy(rows: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], str | None]
                   ) -> dict[str, dict[str, Any]]:
    """Accuracy per group; rows whose key is None are left out."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        name = key(row)
        if name is not None:
            groups[name].append(row)
    return {name: _accuracy(members) for name, members in sorted(groups.items())}


def _passes(table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {**cell, "passed": cell["accuracy"] is not None
                   and cell["accuracy"] >= PASS_MARK} for name, cell in table.items()}


def summarize_mode(rows: Sequence[dict[str, Any]],
                   normalize: Callable[[str], str] = str) -> dict[str, Any]:
    """One mode's figures: overall (per question), per file and its mean, topics, exams."""
    by_file = group_accuracy(rows, lambda row: row["source"])
    accuracies = [cell["accuracy"] for cell in by_file.values()]
    summary: dict[str, Any] = {
        "overall": _accuracy(rows),
        "mean_over_files": round(sum(accuracies) / len(accuracies), 4) if accuracies else None,
        "files": by_file,
        "topics": group_accuracy(rows, lambda row: normalize(row["topic"]) if row.get("topic")
                                 else None),
    }
    exam_rows = [row for row in rows if row.get("exam")]
    if exam_rows:
        exam_files = sorted({row["source"] for row in exam_rows})
        summary["ibmsee"] = {
            "pass_mark": PASS_MARK,
            "files": _passes({name: by_file[name] for name in exam_files}),
            "exams": _passes(group_accuracy(exam_rows, lambda row: row["exam"])),
        }
    if any("parsed" in row for row in rows):
        summary["unparsed"] = sum(1 for row in rows if row.get("parsed") is False)
    if any("passages" in row for row in rows):
        summary["retrieval"] = {
            "mean_passages": round(sum(len(row.get("passages") or []) for row in rows)
                                   / max(len(rows), 1), 3),
            "not_retrieved": sum(1 for row in rows if row.get("retrieval_note")),
            "mean_retrieval_s": round(sum(row.get("retrieval_s", 0.0) for row in rows)
                                      / max(len(rows), 1), 5),
        }
    seconds = sum(row.get("seconds", 0.0) for row in rows)
    summary["seconds"] = round(seconds, 3)
    summary["seconds_per_question"] = round(seconds / len(rows), 5) if rows else None
    return summary


def build_report(results: dict[str, Sequence[dict[str, Any]]], settings: dict[str, Any],
                 files: Sequence[str], skipped: Sequence[Any] = (),
                 normalize: Callable[[str], str] = str,
                 retrieval: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON report: settings, per-mode figures, RAG minus plain, skipped rows, paper."""
    modes = {mode: summarize_mode(rows, normalize) for mode, rows in results.items()}
    report: dict[str, Any] = {
        "settings": settings,
        "files": list(files),
        "questions": len(next(iter(results.values()))) if results else 0,
        "skipped": [str(problem) for problem in skipped],
        "modes": modes,
        "paper_reference": load_paper_reference(),
    }
    if "plain" in modes and "rag" in modes:
        plain, rag = modes["plain"], modes["rag"]
        report["rag_minus_plain"] = {
            "overall": round(rag["overall"]["accuracy"] - plain["overall"]["accuracy"], 4),
            "files": {name: round(rag["files"][name]["accuracy"]
                                  - plain["files"][name]["accuracy"], 4)
                      for name in plain["files"]},
        }
    if retrieval is not None:
        report["retrieval_metrics"] = retrieval
    return report


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:5.1f}"


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the report for the terminal."""
    modes = list(report["modes"])
    lines = [f"{'group':<28}" + "".join(f"{mode:>9}" for mode in modes) + f"{'n':>7}"]
    first = report["modes"][modes[0]]
    for name, cell in first["files"].items():
        lines.append(f"{name:<28}" + "".join(
            f"{_pct(report['modes'][m]['files'][name]['accuracy']):>9}" for m in modes)
            + f"{cell['n']:>7}")
    lines.append(f"{'overall (per question)':<28}" + "".join(
        f"{_pct(report['modes'][m]['overall']['accuracy']):>9}" for m in modes)
        + f"{first['overall']['n']:>7}")
    lines.append(f"{'mean over files':<28}" + "".join(
        f"{_pct(report['modes'][m]['mean_over_files']):>9}" for m in modes))
    if first["topics"]:
        lines.append("topics:")
        for topic, cell in first["topics"].items():
            lines.append(f"  {topic:<26}" + "".join(
                f"{_pct(report['modes'][m]['topics'][topic]['accuracy']):>9}" for m in modes)
                + f"{cell['n']:>7}")
    if "ibmsee" in first:
        lines.append(f"IBMSEE exams (pass mark {100 * PASS_MARK:.0f}%):")
        for exam, cell in first["ibmsee"]["exams"].items():
            verdicts = " ".join(
                f"{m}={_pct(report['modes'][m]['ibmsee']['exams'][exam]['accuracy']).strip()}"
                f"{' pass' if report['modes'][m]['ibmsee']['exams'][exam]['passed'] else ' fail'}"
                for m in modes)
            lines.append(f"  {exam}: {verdicts} (n={cell['n']})")
    for mode in modes:
        figures = report["modes"][mode]
        extra = f", unparsed answers {figures['unparsed']}" if "unparsed" in figures else ""
        lines.append(f"{mode}: {figures['seconds_per_question']} s per question{extra}")
    paper = report["paper_reference"]
    lines.append("paper (accuracy %): MMLU-fa average " + ", ".join(
        f"{k} {v}" for k, v in paper["mmlu_fa_average"].items()) + "; IBMSEE Sept 1402 "
        + ", ".join(f"{k} {v}" for k, v in paper["ibmsee_sept_1402"].items()))
    if report["skipped"]:
        lines.append(f"skipped rows: {len(report['skipped'])} (listed in the report)")
    return "\n".join(lines)


def latin_exam_label(name: str, number: int) -> str:
    """A Latin label for a Persian exam name (matplotlib cannot shape Persian)."""
    words = [_LATIN_EXAM_WORDS.get(word, word) for word in name.split()]
    label = " ".join(words)
    return f"exam {number}" if _PERSIAN_LETTER.search(label) else label


def plot_report(report: dict[str, Any], path: Path) -> None:
    """Bars per file (and per IBMSEE exam) for each mode, with the pass mark and the paper."""
    from matplotlib.figure import Figure  # no pyplot: no backend or global state to set

    modes = list(report["modes"])
    first = report["modes"][modes[0]]
    panels = [("files", [*first["files"], "overall"])]
    if "ibmsee" in first:
        panels.append(("exams", list(first["ibmsee"]["exams"])))
    fig = Figure(figsize=(11, 4.2 * len(panels)))
    axes = fig.subplots(len(panels), 1, squeeze=False)
    width = 0.8 / len(modes)
    paper = report["paper_reference"]
    for ax, (kind, groups) in zip(axes[:, 0], panels, strict=True):
        for i, mode in enumerate(modes):
            figures = report["modes"][mode]
            if kind == "files":
                values = [figures["files"][g]["accuracy"] if g != "overall"
                          else figures["overall"]["accuracy"] for g in groups]
            else:
                values = [figures["ibmsee"]["exams"][g]["accuracy"] for g in groups]
            xs = [x + (i - (len(modes) - 1) / 2) * width for x in range(len(groups))]
            ax.bar(xs, [100 * (v or 0) for v in values], width, label=mode)
        ax.axhline(25, color="grey", linestyle=":", linewidth=1, label="chance (25%)")
        if kind == "exams":
            ax.axhline(100 * PASS_MARK, color="red", linestyle="--", linewidth=1,
                       label="IBMSEE pass mark (36%)")
            labels = [latin_exam_label(g, n) for n, g in enumerate(groups, start=1)]
            ax.set_title("IBMSEE accuracy per exam session")
        else:
            for model, value in paper["mmlu_fa_average"].items():
                ax.axhline(value, linestyle="-.", linewidth=1, color="black" if
                           model == "gaokerena" else "tab:brown",
                           label=f"paper MMLU-fa average, {model} ({value})")
            labels = groups
            ax.set_title("Accuracy per file")
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(f"model: {report['settings'].get('model', '?')}", fontsize=9)
    fig.tight_layout()
    save_figure_atomic(fig, path, dpi=110)
