"""A user's Flask service as the telemetry helper's README tells them to write it."""
