import os

import jwt

JWT_SECRET = os.environ["JWT_SECRET"]


def validate_token(token: str) -> dict:
    return jwt.decode(token, JWT_SECRET, algorithms=["HS256"])


def issue(sub: str) -> str:
    return jwt.encode({"sub": sub}, JWT_SECRET, algorithm="HS256")
