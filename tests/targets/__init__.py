"""Tests of target-postgres, run against a real PostgreSQL through the console script."""
