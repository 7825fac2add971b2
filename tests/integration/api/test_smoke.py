import httpx

from tests.support.connect import connect_hosted
from tests.support.factories import make_application


def test_hosted_flow_gives_tokens(calgate):
    creds = make_application(calgate.services, features={"no_calendar"})
    result = connect_hosted(calgate, creds)
    assert "code" in result
    token = httpx.post(
        f"{calgate.url}/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "code": result["code"],
            "redirect_uri": creds.redirect_uri,
        },
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["linking_profile"]["provider_name"] == "cronofy"
    cals = httpx.get(f"{calgate.url}/v1/calendars", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert cals.status_code == 200, cals.text
    assert len(cals.json()["calendars"]) == 1
