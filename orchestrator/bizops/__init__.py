"""bizops: runs Singer tap|target pipelines with state, locks and run history."""

__version__ = "0.1.0"
