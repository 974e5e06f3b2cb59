"""Evaluation above the assistant: multiple-choice exams, generation, pairwise judging."""

from index.exports import lazy_exports

__all__ = ["reference_report", "run_generate", "run_judge", "run_mcq"]
__getattr__ = lazy_exports(__name__, {
    "run_mcq": "evaluation.mcq",
    "run_generate": "evaluation.generate",
    "run_judge": "evaluation.judge",
    "reference_report": "evaluation.reference",
})
