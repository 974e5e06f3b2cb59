"""Evaluation above the assistant: multiple-choice exams, generation, pairwise judging."""
