"""What is weak in SSH: the algorithm knowledge ssh-audit applies, restated with its sources.

Each entry says ``fail`` (broken: remove it), ``warn`` (deprecated or
weakened: plan its removal) or ``info`` (sound but with a caveat that is not
a finding on its own), with the reason and the document that says so.
Algorithms not listed are treated as sound. Sources: RFC 9142 (key exchange
method updates and recommendations, 2022), RFC 8332 (rsa-sha2), RFC 8758
(arcfour deprecated), RFC 4253/4344/5647/5656/8709/8731, NIST SP 800-131A
rev. 2, and the OpenSSH release notes (7.0: ssh-dss off; 8.8: ssh-rsa off;
9.8: DSA removed).
"""

from __future__ import annotations

from dataclasses import dataclass

FAIL, WARN, INFO = "fail", "warn", "info"


@dataclass(frozen=True, slots=True)
class Verdict:
    status: str
    reason: str
    reference: str


_SHA1_KEX = Verdict(WARN, "SHA-1 exchange hash", "RFC 9142 section 4")
_CBC = Verdict(WARN, "CBC mode: plaintext recovery attacks (CVE-2008-5161)", "RFC 4344; OpenSSH 6.7 release notes")
_BLOCK64 = Verdict(FAIL, "64-bit block cipher: Sweet32 birthday attacks", "NIST SP 800-131A rev. 2; RFC 4253")
_RC4 = Verdict(FAIL, "RC4 keystream biases", "RFC 8758")
_MD5 = Verdict(FAIL, "MD5-based MAC", "RFC 6151; OpenSSH 7.2 release notes")
_SHA1_96 = Verdict(FAIL, "truncated SHA-1 MAC (96 bits)", "RFC 6668; OpenSSH 7.2 release notes")
_SHA1_MAC = Verdict(WARN, "SHA-1 based MAC", "NIST SP 800-131A rev. 2")
_E_AND_M = Verdict(INFO, "encrypt-and-MAC: prefer the -etm variant", "OpenSSH 6.2 release notes")
_TAG64 = Verdict(WARN, "64-bit MAC tag", "RFC 4418")

KEX: dict[str, Verdict] = {
    "diffie-hellman-group1-sha1": Verdict(
        FAIL, "1024-bit MODP group (Logjam) and SHA-1", "RFC 9142 section 4 (SHOULD NOT)"
    ),
    "diffie-hellman-group14-sha1": _SHA1_KEX,
    "diffie-hellman-group-exchange-sha1": Verdict(WARN, "SHA-1 exchange hash, modulus chosen by server", "RFC 9142"),
    "gss-group1-sha1-toWM5Slw5Ew8Mqkay+al2g==": Verdict(FAIL, "1024-bit MODP group and SHA-1", "RFC 9142"),
    "gss-gex-sha1-toWM5Slw5Ew8Mqkay+al2g==": Verdict(WARN, "SHA-1 exchange hash", "RFC 9142"),
    "gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g==": _SHA1_KEX,
    "rsa1024-sha1": Verdict(FAIL, "1024-bit RSA key transport and SHA-1", "RFC 9142 section 4 (MUST NOT)"),
    "ecdh-sha2-nistp256": Verdict(INFO, "NIST P-curve (sound; some policies prefer Curve25519)", "RFC 5656"),
    "ecdh-sha2-nistp384": Verdict(INFO, "NIST P-curve (sound; some policies prefer Curve25519)", "RFC 5656"),
    "ecdh-sha2-nistp521": Verdict(INFO, "NIST P-curve (sound; some policies prefer Curve25519)", "RFC 5656"),
}

HOST_KEY: dict[str, Verdict] = {
    "ssh-dss": Verdict(FAIL, "DSA keys are 1024-bit and sign with SHA-1", "OpenSSH 7.0 / 9.8 release notes"),
    "ssh-dss-cert-v01@openssh.com": Verdict(FAIL, "DSA certificate: 1024-bit, SHA-1", "OpenSSH 7.0 release notes"),
    "ssh-rsa": Verdict(
        FAIL, "RSA signatures with SHA-1 (chosen-prefix collisions)", "RFC 8332; OpenSSH 8.8 release notes"
    ),
    "ssh-rsa-cert-v01@openssh.com": Verdict(FAIL, "RSA certificate signed with SHA-1", "RFC 8332; OpenSSH 8.8"),
    "x509v3-sign-rsa": Verdict(FAIL, "X.509 RSA signatures with SHA-1", "RFC 6187; RFC 8332"),
    "x509v3-sign-dss": Verdict(FAIL, "X.509 DSA with SHA-1", "RFC 6187"),
}

CIPHER: dict[str, Verdict] = {
    "none": Verdict(FAIL, "no encryption", "RFC 4253 section 6.3"),
    "des-cbc": Verdict(FAIL, "56-bit DES", "RFC 4253; NIST SP 800-131A"),
    "des-cbc@ssh.com": Verdict(FAIL, "56-bit DES", "RFC 4253; NIST SP 800-131A"),
    "3des-cbc": _BLOCK64,
    "blowfish-cbc": _BLOCK64,
    "cast128-cbc": _BLOCK64,
    "idea-cbc": _BLOCK64,
    "arcfour": _RC4,
    "arcfour128": _RC4,
    "arcfour256": _RC4,
    "aes128-cbc": _CBC,
    "aes192-cbc": _CBC,
    "aes256-cbc": _CBC,
    "rijndael-cbc@lysator.liu.se": _CBC,
    "twofish-cbc": _CBC,
    "twofish128-cbc": _CBC,
    "twofish256-cbc": _CBC,
    "serpent128-cbc": _CBC,
    "serpent256-cbc": _CBC,
}

MAC: dict[str, Verdict] = {
    "none": Verdict(FAIL, "no integrity protection", "RFC 4253 section 6.4"),
    "hmac-md5": _MD5,
    "hmac-md5-96": _MD5,
    "hmac-md5-etm@openssh.com": _MD5,
    "hmac-md5-96-etm@openssh.com": _MD5,
    "hmac-sha1-96": _SHA1_96,
    "hmac-sha1-96-etm@openssh.com": _SHA1_96,
    "hmac-sha1": _SHA1_MAC,
    "hmac-sha1-etm@openssh.com": _SHA1_MAC,
    "hmac-ripemd160": Verdict(WARN, "RIPEMD-160 MAC, encrypt-and-MAC", "OpenSSH 7.2 release notes"),
    "hmac-ripemd160@openssh.com": Verdict(WARN, "RIPEMD-160 MAC, encrypt-and-MAC", "OpenSSH 7.2 release notes"),
    "umac-64@openssh.com": _TAG64,
    "umac-64-etm@openssh.com": _TAG64,
    "hmac-sha2-256": _E_AND_M,
    "hmac-sha2-512": _E_AND_M,
    "umac-128@openssh.com": _E_AND_M,
}

MIN_RSA_BITS = 2048
"""NIST SP 800-131A: RSA below 2048 bits is disallowed; OpenSSH 9.1 refuses RSA keys below 1024 bits."""

PSEUDO_KEX_PREFIXES = ("ext-info-", "kex-strict-")
"""Extension markers sent in the kex list (RFC 8308; OpenSSH strict kex), not key exchange methods."""


def verdict(table: dict[str, Verdict], algorithm: str) -> Verdict | None:
    return table.get(algorithm)


def judged(table: dict[str, Verdict], algorithms: list[str], status: str) -> list[str]:
    """The algorithms of a list whose verdict is ``status``."""
    return [a for a in algorithms if (v := table.get(a)) is not None and v.status == status]


def terrapin_vulnerable(kex: list[str], ciphers: list[str], macs: list[str]) -> bool:
    """CVE-2023-48795: ChaCha20-Poly1305 or CBC with an -etm MAC, without strict key exchange."""
    if "kex-strict-s-v00@openssh.com" in kex:
        return False
    if "chacha20-poly1305@openssh.com" in ciphers:
        return True
    has_cbc = any(c.endswith("-cbc") or c.endswith("-cbc@lysator.liu.se") for c in ciphers)
    return has_cbc and any("-etm@" in m for m in macs)
