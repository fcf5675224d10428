"""The sanctioned path: ask the auth service to validate a token."""
import httpx

from app.core.settings import get_settings


class AuthClient:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=5)

    def validate_token(self, token: str) -> dict:  # ok
        resp = self._http.post("/auth/validate", json={"token": token})
        resp.raise_for_status()
        return resp.json()


def verify_access_token(token: str) -> dict:  # ok
    settings = get_settings()
    resp = httpx.post(f"{settings.auth_url}/v1/tokens/verify", headers={"Authorization": f"Bearer {token}"})
    resp.raise_for_status()
    return resp.json()
