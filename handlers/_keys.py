"""Key material for key pairs: generation, OpenSSH/PEM/PPK encodings and AWS's fingerprints."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from ec2api_runtime.errors import EC2Error


def _colon_hex(digest: bytes) -> str:
    return ":".join(f"{b:02x}" for b in digest)


def ssh_public_blob(public_openssh: str) -> tuple[str, bytes]:
    """``(key type, wire blob)`` of an OpenSSH public key line."""
    parts = public_openssh.split()
    if len(parts) < 2:
        raise ValueError("not an OpenSSH public key")
    return parts[0], base64.b64decode(parts[1], validate=True)


def fingerprint_public(public_openssh: str) -> str:
    """The fingerprint AWS shows for an *imported* key.

    RSA: MD5 of the DER SubjectPublicKeyInfo, colon-separated hex. ED25519: base64 SHA-256 of the
    OpenSSH key blob (what ``ssh-keygen -l`` prints after ``SHA256:``).
    """
    key_type, blob = ssh_public_blob(public_openssh)
    if key_type == "ssh-ed25519":
        return base64.b64encode(hashlib.sha256(blob).digest()).decode()
    key = serialization.load_ssh_public_key(public_openssh.encode())
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _colon_hex(hashlib.md5(der).digest())


def key_type_of(public_openssh: str) -> str:
    """``rsa`` or ``ed25519`` (EC2's KeyType) for an OpenSSH public key."""
    return "ed25519" if public_openssh.startswith("ssh-ed25519") else "rsa"


def parse_public_key(material: bytes) -> str:
    """Validate imported key material (OpenSSH, or PEM/DER public key) and return its OpenSSH line."""
    text = material.decode("utf-8", "replace").strip()
    key: PublicKeyTypes   # any key cryptography reads; only RSA and ED25519 pass below
    try:
        if text.startswith(("ssh-rsa ", "ssh-ed25519 ")):
            key = serialization.load_ssh_public_key(text.encode())
        elif text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_der_public_key(material)
    except (ValueError, TypeError, Exception):   # cryptography raises several types for bad input
        raise EC2Error("InvalidKey.Format", "Key is not in valid OpenSSH public key format") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < 1024 or key.key_size > 16384:
            raise EC2Error("InvalidKey.Format", "RSA keys must be between 1024 and 16384 bits")
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise EC2Error("InvalidKey.Format", "Only RSA and ED25519 keys are supported")
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


class NewKey:
    """A freshly generated key pair with the encodings CreateKeyPair answers."""

    def __init__(self, key_type: str, key_format: str, comment: str) -> None:
        self.private: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
        if key_type == "ed25519":
            self.private = ed25519.Ed25519PrivateKey.generate()
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_type = key_type
        self.key_format = key_format
        self.comment = comment
        self.public_openssh = self.private.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()

    @property
    def fingerprint(self) -> str:
        """AWS's fingerprint of a *created* key: RSA = SHA-1 of the DER PKCS#8 private key."""
        if self.key_type == "ed25519":
            return fingerprint_public(self.public_openssh)
        der = self.private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption())
        return _colon_hex(hashlib.sha1(der).digest())

    @property
    def material(self) -> str:
        """The private key as AWS hands it out: PEM (RSA traditional, ED25519 OpenSSH) or PPK."""
        if self.key_format == "ppk":
            return self._ppk()
        if self.key_type == "ed25519":
            fmt = serialization.PrivateFormat.OpenSSH
        else:
            fmt = serialization.PrivateFormat.TraditionalOpenSSL
        return self.private.private_bytes(serialization.Encoding.PEM, fmt,
                                          serialization.NoEncryption()).decode().rstrip("\n")

    def _ppk(self) -> str:
        """PuTTY's PPK version 3 format, unencrypted (MAC: HMAC-SHA-256 with an empty key)."""
        algorithm, public_blob = ssh_public_blob(self.public_openssh)
        if isinstance(self.private, ed25519.Ed25519PrivateKey):
            raw = self.private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                             serialization.NoEncryption())
            private_blob = _mpint(int.from_bytes(raw, "little"))
        else:
            n = self.private.private_numbers()
            private_blob = _mpint(n.d) + _mpint(n.p) + _mpint(n.q) + _mpint(n.iqmp)
        mac_data = b"".join(_string(x) for x in (algorithm.encode(), b"none", self.comment.encode(),
                                                  public_blob, private_blob))
        mac = hmac.new(b"", mac_data, hashlib.sha256).hexdigest()
        pub_lines = _wrap(base64.b64encode(public_blob).decode())
        priv_lines = _wrap(base64.b64encode(private_blob).decode())
        return "\n".join([
            f"PuTTY-User-Key-File-3: {algorithm}", "Encryption: none", f"Comment: {self.comment}",
            f"Public-Lines: {len(pub_lines)}", *pub_lines,
            f"Private-Lines: {len(priv_lines)}", *priv_lines,
            f"Private-MAC: {mac}",
        ])


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def _mpint(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big") if value else b""
    return _string(raw)


def _wrap(text: str, width: int = 64) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)]
