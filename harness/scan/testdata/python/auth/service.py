import os
import jwt

JWT_SECRET = os.environ["JWT_SECRET"]


def validate_token(token):
    return jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
