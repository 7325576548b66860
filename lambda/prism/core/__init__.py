"""Core: settings, limits, specs, errors and constants every other layer builds on."""
