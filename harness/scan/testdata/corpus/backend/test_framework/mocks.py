import jwt


class MockAuthClient:
    def validate_token(self, token: str) -> dict:
        return jwt.decode(token, "test-secret", algorithms=["HS256"])


def make_token(sub: str) -> str:
    return jwt.encode({"sub": sub}, "test-secret")
