"""What the reference services share beyond telemetry: bearer-token checks (auth), rate
limits (ratelimit). Each part is off until its environment variables turn it on.

Lives beside the services (examples/services/common/) as its own small distribution,
flaskops-service-kit: a uv workspace member here, `pip install ./examples/services/common`
in the image, so every way of starting a service (gunicorn, uvicorn, pytest) imports it."""
