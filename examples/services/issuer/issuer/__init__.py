"""issuer: a small OAuth2 authorization server for the examples and tests (JWT access
tokens, JWKS, key rotation). A stand-in for Keycloak, Dex or a cloud identity provider,
not a replacement: clients and users come from a JSON file, codes and refresh tokens live
in one process's memory (run it with one worker)."""
