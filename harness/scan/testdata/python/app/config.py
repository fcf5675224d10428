import os
from django.conf import settings

JWT_SECRET_KEY = os.getenv("JWT_SECRET_KEY")
ALGORITHM = "HS256"
os.environ.setdefault("JWT_SECRET", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ")


def load():
    return settings.JWT_SECRET


def get_jwt_secret():
    return os.environ.get("APP_KEY")


key = get_jwt_secret()
