"""What a run reports: the loss curve (like the paper's Fig. 3/4) and the run summary.

The energy figure is an estimate, and the summary says so: board power x wall hours x PUE
(the method the paper used, after Wu et al.), not a measurement. On a CPU it uses the
recipe's ``energy.cpu_power_watts``.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.files import save_figure_atomic, write_json_atomic
from training.recipe import EnergySettings


def metric_points(log_history: list[dict[str, Any]], key: str) -> list[tuple[int, float]]:
    """(step, value) pairs of one logged metric from a Trainer's ``state.log_history``
    (``loss``; DPO's ``rewards/margins``, ``rewards/accuracies``)."""
    return [(int(entry["step"]), float(entry[key])) for entry in log_history
            if key in entry and "step" in entry]


def loss_points(log_history: list[dict[str, Any]]) -> list[tuple[int, float]]:
    """(step, training loss) pairs from a Trainer's ``state.log_history``."""
    return metric_points(log_history, "loss")


def plot_metric(points: list[tuple[int, float]], out: Path, title: str, ylabel: str
                ) -> Path | None:
    """Write one logged metric per optimizer step as a PNG; ``None`` when nothing was logged."""
    if not points:
        return None
    from matplotlib.figure import Figure  # no pyplot: no backend or global state to set

    figure = Figure(figsize=(7, 4), dpi=110)
    axes = figure.add_subplot()
    steps, values = zip(*points, strict=True)
    axes.plot(steps, values, marker="." if len(points) < 50 else None, linewidth=1.2)
    axes.set_xlabel("optimizer step")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return save_figure_atomic(figure, out)


def plot_loss(points: list[tuple[int, float]], out: Path, title: str) -> Path | None:
    """Write the training-loss curve as a PNG; ``None`` when nothing was logged."""
    return plot_metric(points, out, title, "training loss")


def energy_estimate(seconds: float, device: str, gpus: int, settings: EnergySettings
                    ) -> dict[str, Any]:
    """kWh and kg CO2e from power x time x PUE x grid intensity, labelled as an estimate."""
    on_gpu = device.startswith("cuda")
    watts = settings.gpu_power_watts * max(gpus, 1) if on_gpu else settings.cpu_power_watts
    hours = seconds / 3600
    kwh = watts * hours * settings.pue / 1000
    return {
        "estimate": True,
        "method": ("board power x wall hours x PUE x grid intensity (not measured); "
                   + (f"{gpus} GPU(s) at {settings.gpu_power_watts:g} W" if on_gpu
                      else f"CPU at {settings.cpu_power_watts:g} W (a guess at package power)")),
        "power_watts": watts,
        "hours": round(hours, 5),
        "kwh": round(kwh, 6),
        "grid_intensity_g_per_kwh": settings.grid_intensity_g_per_kwh,
        "pue": settings.pue,
        "co2_kg": round(kwh * settings.grid_intensity_g_per_kwh / 1000, 6),
    }


def peak_memory() -> dict[str, float | None]:
    """Peak resident memory of this process, and peak CUDA memory when a GPU was used."""
    import torch

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    gpu = None
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        gpu = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    return {"peak_rss_mb": round(rss_mb, 1), "peak_gpu_gb": gpu}


@dataclass
class Clock:
    """Wall time of this session of a run (a resumed run reports its own part)."""

    start: float = 0.0

    def __post_init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start


def write_summary(summary: dict[str, Any], out: Path) -> Path:
    write_json_atomic(out, summary)
    return out
