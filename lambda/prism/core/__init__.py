"""Bottom layer: errors, limits, variant specs, settings, constants, telemetry. Imports no
other prism package."""
