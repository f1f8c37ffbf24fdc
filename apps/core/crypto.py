"""Secrets at rest: EncryptedTextField keeps a value Fernet-encrypted (AES-128-CBC with an HMAC) in
the database and plain in Python. The key comes from FIELD_ENCRYPTION_KEYS (comma-separated Fernet
keys, newest first: older ones still decrypt, so keys can rotate), else from SECRET_KEY."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

_PREFIX = "enc1:"


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()]
    if not keys:
        digest = hashlib.sha256(f"leadvoice-field-encryption:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(_PREFIX):
        return stored  # written before encryption (or by hand): read as is, encrypted on the next save
    try:
        return _fernet().decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ValueError("An encrypted field could not be decrypted: was FIELD_ENCRYPTION_KEYS changed?") from None


class EncryptedTextField(models.TextField):
    """A text stored encrypted. Not searchable or orderable in SQL, by design."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
