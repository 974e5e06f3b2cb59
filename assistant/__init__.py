"""Answering Persian medical questions from retrieved passages."""
