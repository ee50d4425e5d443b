"""tap-hubspot: a Singer tap for Hubspot, made by bizops new-tap."""
