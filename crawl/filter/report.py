"""The report folder: ``report.json``, ``rejected.jsonl`` and PNG charts.

The JSON holds every figure the charts show, so scripts never parse images. Charts are drawn
on ``matplotlib.figure.Figure`` objects (no pyplot: no display, no backend to set) with Latin
labels: matplotlib draws Persian letters unshaped and left-to-right, which would be
unreadable.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from crawl.filter.config import FilterConfig
from crawl.filter.result import RULES, FilterResult
from index.files import save_figure_atomic, write_json_atomic, write_jsonl_atomic

REPORT_VERSION = 1
PIE_SLICES = 10
HISTOGRAM_EDGES = (0, 10, 20, 30, 40, 45, 50, 60, 80, 100, 150, 200, 300, 500, 1000, 2000)


def histogram(values: list[int], edges: tuple[int, ...] = HISTOGRAM_EDGES) -> dict[str, Any]:
    """Counts per ``[edge_i, edge_i+1)`` bin, the last bin open-ended; plus summary stats."""
    import numpy as np

    ordered = np.sort(np.clip(np.asarray(values, dtype=np.int64), edges[0], None))
    counts, _ = np.histogram(ordered, bins=[*edges, np.inf])
    middle = ordered[len(ordered) // 2] if len(ordered) else 0  # upper median: a real length
    return {"edges": list(edges), "counts": counts.tolist(), "n": len(values),
            "min": int(min(values, default=0)), "median": int(middle),
            "max": int(max(values, default=0))}


def build_report(result: FilterResult, config: FilterConfig, input_path: Path, out_path: Path,
                 report_dir: Path, seconds: float) -> dict[str, Any]:
    """Everything a reader of the run needs, as plain JSON-able data."""
    kept = len(result.kept)
    share = {site: round(n / kept, 4) for site, n in result.kept_per_site.most_common()} \
        if kept else {}
    return {
        "version": REPORT_VERSION,
        "input": str(input_path),
        "out": str(out_path),
        "report_dir": str(report_dir),
        "read": result.read,
        "kept": kept,
        "dropped": result.read - kept,
        "removed_per_rule": {rule: result.removed_per_rule[rule] for rule in RULES
                             if result.removed_per_rule[rule]},
        "read_per_site": dict(result.read_per_site.most_common()),
        "kept_per_site": dict(result.kept_per_site.most_common()),
        "site_share": share,
        "pii_scrubbed": dict(sorted(result.pii_scrubbed.items())),
        "boilerplate_lines_removed": result.boilerplate_lines_removed,
        "token_length": {
            "unit": "hazm word tokens of the normalized answer (QA) or text (article)",
            "before": histogram(result.tokens_before),
            "after": histogram(result.tokens_after),
        },
        "seconds": round(seconds, 2),
        "records_per_second": round(result.read / seconds, 1) if seconds > 0 else None,
        "config": config.to_dict(),
    }


def write_report(report: dict[str, Any], result: FilterResult, report_dir: Path,
                 plots: bool = True) -> list[Path]:
    """Write rejected.jsonl, the PNGs, then report.json last (its presence means complete)."""
    report_dir.mkdir(parents=True, exist_ok=True)
    written = [report_dir / "rejected.jsonl"]
    write_jsonl_atomic(written[0], result.rejected)
    if plots:
        written += plot_report(report, report_dir)
    report["files"] = [*sorted(path.name for path in written), "report.json"]
    write_json_atomic(report_dir / "report.json", report)
    return [*written, report_dir / "report.json"]


def _save(figure: Any, path: Path) -> Path:
    return save_figure_atomic(figure, path, dpi=110, bbox_inches="tight")


def _top_with_other(counts: dict[str, int], n: int) -> dict[str, int]:
    """The ``n - 1`` largest entries and the rest summed as ``other`` (readable pie labels)."""
    if len(counts) <= n:
        return dict(counts)
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    top = dict(ordered[: n - 1])
    top["other"] = sum(count for _, count in ordered[n - 1 :])
    return top


def plot_report(report: dict[str, Any], report_dir: Path) -> list[Path]:
    """removed_per_rule.png, site_share.png and token_lengths.png."""
    from matplotlib.figure import Figure  # no pyplot: no backend or global state to set

    paths = []
    removed = report["removed_per_rule"]
    figure = Figure(figsize=(7, 3.5))
    axis = figure.subplots()
    names = list(removed) or ["(none)"]
    values = list(removed.values()) or [0]
    bars = axis.barh(names[::-1], values[::-1], color="#c0504d")
    axis.bar_label(bars, padding=3)
    axis.set_xlabel("records removed")
    axis.set_title(f"Removed per rule ({report['dropped']} of {report['read']} records)")
    paths.append(_save(figure, report_dir / "removed_per_rule.png"))

    kept_per_site = report["kept_per_site"]
    figure = Figure(figsize=(10, 4))
    pie_axis, bar_axis = figure.subplots(1, 2)
    if kept_per_site:
        slices = _top_with_other(kept_per_site, PIE_SLICES)
        pie_axis.pie(list(slices.values()), labels=list(slices),
                     autopct="%1.1f%%", startangle=90, counterclock=False)
        read = report["read_per_site"]
        sites = list(read)
        bar_axis.barh(sites[::-1], [read[s] for s in sites][::-1], color="#d9d9d9",
                      label="read")
        bar_axis.barh(sites[::-1], [kept_per_site.get(s, 0) for s in sites][::-1],
                      color="#4f81bd", label="kept")
        bar_axis.legend()
        bar_axis.set_xlabel("records")
    pie_axis.set_title(f"Share of kept records per site ({report['kept']})")
    bar_axis.set_title("Read vs kept per site")
    paths.append(_save(figure, report_dir / "site_share.png"))

    lengths = report["token_length"]
    figure = Figure(figsize=(8, 3.8))
    axis = figure.subplots()
    labels = [f"{a}-{b - 1}" for a, b in itertools.pairwise(HISTOGRAM_EDGES)]
    labels.append(f"{HISTOGRAM_EDGES[-1]}+")
    positions = range(len(labels))
    axis.bar([p - 0.2 for p in positions], lengths["before"]["counts"], width=0.4,
             label=f"before ({lengths['before']['n']})", color="#d9d9d9")
    axis.bar([p + 0.2 for p in positions], lengths["after"]["counts"], width=0.4,
             label=f"after ({lengths['after']['n']})", color="#4f81bd")
    axis.set_xticks(list(positions), labels, rotation=45, ha="right")
    axis.set_xlabel("answer/text length (hazm tokens)")
    axis.set_ylabel("records")
    axis.set_title("Token lengths before and after filtering")
    axis.legend()
    paths.append(_save(figure, report_dir / "token_lengths.png"))
    return paths
