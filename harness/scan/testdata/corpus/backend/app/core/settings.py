"""Application settings.

Mentions JWT_SECRET and jwt.decode(token) in a docstring: never a finding.
"""
import os
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str = Field(alias="DATABASE_URL")
    jwt_secret: str = Field(alias="JWT_SECRET")  # low: secret_mention
    jwt_algorithm: str = "HS256"  # ok
    refresh_token_ttl: int = 86400  # ok

    @field_validator("jwt_secret")  # low: secret_mention
    @classmethod
    def secret_long_enough(cls, value: str) -> str:
        if len(value) < 32:
            raise ValueError("JWT secret too short")  # ok
        return value

    @field_validator("refresh_token")
    @classmethod
    def validate_refresh_token(cls, value: str) -> str:  # ok
        if not value.startswith("rt_"):
            raise ValueError("refresh tokens start with rt_")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()


def get_jwt_secret() -> str:  # low: secret_mention
    return os.environ["JWT_SECRET"]  # want: secret_read


def jwt_secret_configured() -> bool:  # low: secret_mention
    return bool(os.getenv("JWT_SECRET_KEY"))  # want: secret_read


SIGNING_KEY = os.environ.get("JWT_SECRET", "")  # want: secret_read
LEGACY_KEY = getattr(get_settings(), "JWT_SECRET_KEY", None)  # want: secret_read
