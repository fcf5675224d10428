def body_text(jwt) -> str:  # ok
    return jwt.decode("utf-8")  # ok


def render(blob) -> str:
    jwt = blob.read()  # ok
    return jwt.decode()  # ok
