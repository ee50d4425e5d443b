"""Tests of the Singer taps against their emulators."""
