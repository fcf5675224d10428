import logging

from app.security.jwt_secret_manager import get_jwt_secret, rotate  # low: secret_mention

log = logging.getLogger(__name__)

REDACTED_KEYS = ["password", "jwt_secret", "api_key"]  # low: secret_mention


class JwtSecretDriftMonitor:  # low: secret_mention
    def __init__(self, audit) -> None:
        self.audit = audit

    def check(self, jwt_secret: str) -> None:  # low: secret_mention
        if self.expected != jwt_secret:  # low: secret_mention
            self.audit.record(action_id="update_jwt_secret")  # low: secret_mention
            rotate()

    def redact(self, env: dict) -> dict:
        return {k: "***" if k.startswith("JWT_SECRET") else v for k, v in env.items()}  # low: secret_mention


def is_secret_name(name: str) -> bool:
    return name == "JWT_SECRET" or name in REDACTED_KEYS  # low: secret_mention


def describe() -> str:
    return "rotate the JWT secret every 90 days"  # ok
