import os
import jwt


def test_roundtrip():
    tok = jwt.encode({"sub": "1"}, os.environ["JWT_SECRET"])
    assert tok
