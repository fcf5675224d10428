def validate_token(token):  # low: validator_name
    """validate_token is also defined in app/validators.py."""
    return bool(token)


def ordinary():
    s = 'validate_token(x)'
    return s
