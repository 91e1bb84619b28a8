"""AWS's SigV4 test suite (from botocore's sdist, fetched at test time) against our verifier.

Every case with a signed request (``.sreq``) is parsed the way a WSGI server would hand it to
us, and must give exactly the suite's canonical request (``.creq``), string to sign (``.sts``)
and signature (``.authz``), verify with the suite's secret, and fail after any change to the
signature, the body, a signed header or the query.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from ec2api_runtime.auth import sigv4
from ec2api_runtime.errors import EC2Error
from tests.unit._botocore_src import aws4_testsuite

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCESS = "AKIDEXAMPLE"
DATE = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)


def _suite() -> Path | None:
    try:
        return aws4_testsuite()
    except Exception as exc:  # offline and not cached
        pytest.skip(f"botocore sdist unavailable: {exc}")
        return None


def _cases() -> list[str]:
    try:
        root = aws4_testsuite()
    except Exception:
        return ["<unavailable>"]
    return sorted(str(p.parent.relative_to(root)) for p in root.rglob("*.sreq"))


def parse_raw(raw: str) -> tuple[str, str, list[tuple[str, str]], dict[str, str], bytes]:
    """A raw HTTP request as a WSGI server would present it: method, wire path, query pairs,
    headers (repeats joined with ``,``, folded lines joined with a space), body."""
    head, _, body = raw.partition("\n\n")
    lines = head.split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target = rest.rsplit(" ", 1)[0]  # the path may contain spaces (normalize-path/get-space)
    path, _, qs = target.partition("?")
    query = parse_qsl(qs, keep_blank_values=True)
    headers: list[list[str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1][1] += " " + line.strip()
            continue
        name, _, value = line.partition(":")
        headers.append([name, value])
    merged: dict[str, str] = {}
    for name, value in headers:
        key = next((k for k in merged if k.lower() == name.lower()), name)
        merged[key] = f"{merged[key]},{value.strip()}" if key in merged else value.strip()
    return method, path, query, merged, body.encode("utf-8")


def _load(case: str) -> dict[str, str]:
    root = _suite()
    base = root / case / Path(case).name
    return {ext: (base.with_suffix(f".{ext}")).read_text(encoding="utf-8").replace("\r", "")
            for ext in ("sreq", "creq", "sts", "authz")}


def signed_request(files: dict[str, str]) -> tuple[str, str, list[tuple[str, str]], dict[str, str], bytes]:
    """The case's signed request, its Authorization header taken from ``.authz``.

    (The upstream ``get-vanilla-with-session-token.sreq`` carries a signature that does not match
    its own ``.authz``/``.creq``/``.sts``; ``.authz`` is the suite's expected value.)
    """
    method, path, query, headers, body = parse_raw(files["sreq"])
    key = next(k for k in headers if k.lower() == "authorization")
    headers[key] = files["authz"].strip()
    return method, path, query, headers, body


@pytest.mark.parametrize("case", _cases())
def test_suite_case(case: str) -> None:
    files = _load(case)
    method, path, query, headers, body = signed_request(files)
    req = sigv4.parse_sigv4(method, path, query, headers, body)
    assert req is not None
    assert req.access_key == ACCESS
    assert req.canonical_request == files["creq"]
    assert req.string_to_sign == files["sts"]
    expected_sig = re.search(r"Signature=([0-9a-f]{64})", files["authz"]).group(1)
    assert req.expected_signature(SECRET) == expected_sig
    assert req.verify(SECRET)
    assert not req.verify(SECRET[:-1] + "X")
    req.check_time(DATE, 900)  # no RequestExpired at the suite's own time


@pytest.mark.parametrize("case", _cases())
def test_suite_case_rejects_any_change(case: str) -> None:
    files = _load(case)
    method, path, query, headers, body = signed_request(files)
    authz_key = next(k for k in headers if k.lower() == "authorization")
    authz = headers[authz_key]
    sig = re.search(r"Signature=([0-9a-f]{64})", authz).group(1)

    def verifies(m=method, p=path, q=query, h=headers, b=body) -> bool:
        try:
            req = sigv4.parse_sigv4(m, p, q, h, b)
        except EC2Error:
            return False
        return req is not None and req.verify(SECRET)

    assert verifies()
    for i in range(0, 64, 7):  # a changed hex digit anywhere in the signature
        bad = sig[:i] + ("0" if sig[i] != "0" else "1") + sig[i + 1:]
        assert not verifies(h={**headers, authz_key: authz.replace(sig, bad)})
    assert not verifies(b=body + b"x")
    assert not verifies(m="PUT" if method != "PUT" else "GET")
    assert not verifies(p=path + "x")
    assert not verifies(q=[*query, ("extra", "1")])
    if query:
        k, v = query[0]
        assert not verifies(q=[(k, v + "x"), *query[1:]])
    signed = re.search(r"SignedHeaders=([^,]+)", authz).group(1).split(";")
    for name in signed:
        key = next(k for k in headers if k.lower() == name)
        assert not verifies(h={**headers, key: headers[key] + "x"}), name


def _unpack_in(cache: str) -> str:
    import tests.unit._botocore_src as src

    src.CACHE = Path(cache)
    return str(src.aws4_testsuite())


def test_botocore_src_unpacks_once_under_concurrency(tmp_path):
    """Several processes asking for the suite at once all get the same, complete tree."""
    import multiprocessing
    import shutil

    from tests.unit import _botocore_src as src

    tarball = src.sdist()
    shutil.copy(tarball, tmp_path / tarball.name)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        paths = pool.map(_unpack_in, [str(tmp_path)] * 4)
    assert len(set(paths)) == 1
    root = Path(paths[0])
    assert len(list(root.rglob("*.sreq"))) == len(_cases())
    assert not [p for p in tmp_path.rglob(".unpack-*")]
