"""Text generators behind one small interface: ``generate`` and ``stream`` over chat messages."""
