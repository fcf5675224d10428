import requests
from google.auth.transport import requests as google_requests
from google.oauth2 import id_token


def verify_google_id_token(token: str, client_id: str) -> dict:  # low: validator_name
    return id_token.verify_oauth2_token(token, google_requests.Request(), client_id)


def check_access_token(token: str) -> bool:  # ok
    resp = requests.get("https://oauth2.googleapis.com/tokeninfo", params={"access_token": token})
    return resp.ok
