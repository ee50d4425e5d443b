"""The sandbox: a seeded fake company and HTTP emulators of the source APIs that serve it."""
