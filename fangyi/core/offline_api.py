"""GET /api/offline/key: the key that seals the offline pages' store on a phone
(docs/offline.md, "The phone's store")."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import Router, Schema

from fangyi.core.offline_key import offline_key_for

router = Router(tags=["offline"])


class OfflineKeyOut(Schema):
    key: str
    kid: str
    user_id: int
    expires_at: dt.datetime


@router.get("/offline/key", response=OfflineKeyOut)
def offline_key(request, response: HttpResponse):
    """The logged-in user's store key (AES-256-GCM, base64url), its id and the session's
    expiry. Never cached: the key is kept by the page in memory and in the tab's
    sessionStorage only."""
    response["Cache-Control"] = "no-store, private"
    response["Vary"] = "Cookie, Authorization"
    return offline_key_for(user=request.user, session_expires_at=request.session.get_expiry_date())
