import os

import jwt

from app.api.deps import decode_access_token


def test_decode():
    tok = jwt.encode({"sub": "u1"}, os.environ["JWT_SECRET"])
    assert decode_access_token(tok)["sub"] == "u1"
