import jose  # want: jwt_import


def validate_token(token):  # want: duplicate_validator
    return jose.jwt.decode(token, "k")  # want: jwt_operation


def decode_jwt(token):  # low: validator_name
    """Defined only here: not a duplicate."""
    return token.split(".")


class Checker:
    def check(self, token):
        return token is not None
