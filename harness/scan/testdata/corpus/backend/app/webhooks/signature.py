import base64
import hashlib
import hmac
import json
import os

SECRET = os.environ["WEBHOOK_SECRET"].encode()  # ok


def check_signature(token: str) -> dict:  # want: duplicate_validator
    header, payload, signature = token.split(".")
    mac = hmac.new(SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.urlsafe_b64encode(mac).rstrip(b"="), signature.encode()):
        raise ValueError("bad signature")
    return json.loads(base64.urlsafe_b64decode(payload + "=="))


def sign_body(body: bytes) -> str:
    return hmac.new(SECRET, body, hashlib.sha256).hexdigest()
