from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.core.settings import get_settings

_serializer = URLSafeTimedSerializer(get_settings().database_url, salt="email-confirm")


def make_token(email: str) -> str:
    return _serializer.dumps(email)


def verify_token(token: str, max_age: int = 3600) -> str | None:  # low: validator_name
    try:
        return _serializer.loads(token, max_age=max_age)
    except BadSignature:
        return None
