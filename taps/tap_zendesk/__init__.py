"""tap-zendesk: a Singer tap for Zendesk, made by bizops new-tap."""
