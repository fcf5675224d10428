"""Request handlers.

This docstring mentions jwt.decode(token) and JWT_SECRET but must not count.
"""
import os
import jwt  # want: jwt_import
import jwt as pyjwt  # want: jwt_import
from jose import jwt as jose_jwt  # want: jwt_import
from authlib.jose import JsonWebToken  # want: jwt_import

# jwt.decode(token, os.environ["JWT_SECRET"]) -- a comment, must not count

SECRET = os.environ["JWT_SECRET"]  # want: secret_read


def handle(request):  # want: duplicate_validator
    """Decode with jwt.decode(token, JWT_SECRET): a docstring, must not count."""
    token = request.headers["Authorization"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])  # want: jwt_operation
    other = pyjwt.encode({"sub": "1"}, SECRET)  # want: jwt_operation
    j = jose_jwt.decode(token, SECRET)  # want: jwt_operation
    message = "call jwt.decode(token) with the JWT secret"
    log('jwt_secret rotation is due')
    return claims, other, j, message, JsonWebToken


def log(msg):
    '''Single-quoted docstring naming get_jwt_secret() must not count.'''
    print(msg)
