from typing import Annotated

import jwt  # want: jwt_import
from fastapi import Depends, HTTPException, Request

from app.core.settings import get_settings


def decode_access_token(token: str) -> dict:  # want: duplicate_validator
    settings = get_settings()
    try:
        return jwt.decode(token, settings.jwt_secret, algorithms=["HS256"])  # want: jwt_operation, secret_read
    except jwt.PyJWTError as exc:  # ok
        raise HTTPException(status_code=401) from exc


def get_claims(token: str) -> dict:  # want: duplicate_validator
    """Only wraps decode_access_token."""
    return decode_access_token(token.removeprefix("Bearer "))


def current_user_id(request: Request) -> str:
    claims = get_claims(request.headers.get("Authorization", ""))
    user = claims.get("sub")
    if user is None:
        raise HTTPException(status_code=401, detail="no subject")
    audit = request.app.state.audit
    audit.record("login", user=user, path=request.url.path, ip=request.client.host)
    return user


UserId = Annotated[str, Depends(current_user_id)]
