"""The ChatFlow bot's pure parts (no database): the graph format and its validation, the
engine's decisions, and the conversion from and to the original system's JSON."""
