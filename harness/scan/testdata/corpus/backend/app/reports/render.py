import jwt  # want: jwt_import

from app.core.settings import get_settings

settings = get_settings()


def debug_banner() -> str:
    return f"key={settings.JWT_SECRET_KEY}"  # want: secret_read


def debug_banner_spaced() -> str:
    return f"key={ settings.JWT_SECRET_KEY }"  # want: secret_read


def debug_banner_nested() -> str:
    return f"{'key'}: {settings.jwt_secret!r:>40}"  # want: secret_read


def share_link(p: dict, k: str) -> str:
    return f"https://app.example/share?t={jwt.encode(p, k)}&v=1"  # want: jwt_operation


def share_link_triple(p: dict, k: str) -> str:  # want@+2: jwt_operation
    return f"""
    link: {jwt.encode(p, k, algorithm="HS256")}
    """  # ok


def literal_braces() -> str:
    return f"{{settings.JWT_SECRET_KEY}} is a placeholder"  # ok


def plain() -> str:
    return "{settings.JWT_SECRET_KEY}"  # ok
