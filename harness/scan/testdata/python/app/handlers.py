"""Request handlers.

This docstring mentions jwt.decode(token) and JWT_SECRET but must not count.
"""
import os
import jwt
import jwt as pyjwt
from jose import jwt as jose_jwt
from authlib.jose import JsonWebToken

# jwt.decode(token, os.environ["JWT_SECRET"]) -- a comment, must not count

SECRET = os.environ["JWT_SECRET"]


def handle(request):
    """Decode with jwt.decode(token, JWT_SECRET): a docstring, must not count."""
    token = request.headers["Authorization"]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    other = pyjwt.encode({"sub": "1"}, SECRET)
    j = jose_jwt.decode(token, SECRET)
    message = "call jwt.decode(token) with the JWT secret"
    log('jwt_secret rotation is due')
    return claims, other, j, message, JsonWebToken


def log(msg):
    '''Single-quoted docstring naming get_jwt_secret() must not count.'''
    print(msg)
