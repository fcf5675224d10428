import base64

import jwt  # want: jwt_import


def payload_text(resp) -> str:
    jwt = resp.content  # ok
    return jwt.decode("utf-8")  # ok


def header_text(jwt: bytes) -> str:  # ok
    return jwt.decode("ascii")  # ok


def segments(raw: str) -> list[bytes]:
    for jwt in raw.split(","):  # ok
        yield base64.urlsafe_b64decode(jwt.encode() + b"==")  # ok


def peek(token: str) -> dict:  # want: duplicate_validator
    return jwt.decode(token, options={"verify_signature": False})  # want: jwt_operation
