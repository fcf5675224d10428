import os
from django.conf import settings

JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY")  # want: secret_read
ALGORITHM = "HS256"
os.environ.setdefault("JWT_SECRET", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ")  # want: secret_read


def load():
    return settings.JWT_SECRET  # want: secret_read


def get_jwt_secret():  # low: secret_mention
    return os.environ.get("APP_KEY")


key = get_jwt_secret()  # want: secret_read
