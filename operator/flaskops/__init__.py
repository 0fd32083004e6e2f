"""flaskops: a Kubernetes operations kit for Flask services."""

__version__ = "0.1.0"
