"""What the reference services share beyond telemetry: bearer-token checks (auth), rate
limits (ratelimit). Each part is off until its environment variables turn it on.

Lives beside the services (examples/services/common/); each service's gunicorn.conf.py puts
this folder on the import path, and the image copies it to /common, the same place
relative to the service (/app)."""
