import jwt  # want: jwt_import

from app.core.settings import get_settings


def validate_token_jwt(token: str) -> dict:  # want: duplicate_validator
    return jwt.decode(token, get_settings().jwt_secret, algorithms=["HS256"])  # want: jwt_operation, secret_read
