"""tap-marketo: a Singer tap for Marketo, made by bizops new-tap."""
