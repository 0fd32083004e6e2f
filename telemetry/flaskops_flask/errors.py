"""JSON error bodies for JSON APIs: `{"error": "Not Found", "detail": "..."}` instead of HTML."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException


def register_json_errors(app: Flask) -> None:
    def json_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify(error=exc.name, detail=exc.description), exc.code or 500

    app.register_error_handler(HTTPException, json_error)
