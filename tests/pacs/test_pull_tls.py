"""``cxrkit pull --dicomweb`` over HTTPS with HTTP basic authentication: a second, small Orthanc
(the blank export only) that wants a user name and password, behind a TLS terminator whose
certificate a throw-away CA signed (Debian's Orthanc cannot serve HTTPS itself: see
``pacs_server.running_orthanc``)."""

from __future__ import annotations

import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from helpers import TcpLink
from pacs_server import make_tls, running_orthanc, upload

from cxrkit.cli import main
from cxrkit.pacs.dicomweb import PASSWORD_ENV, TOKEN_ENV, USER_ENV
from cxrkit.sources.discover import iter_files

USER, PASSWORD = "radiology", "s3cret-Pa55"


@pytest.fixture(scope="module")
def secure(
    blank_export: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The HTTPS DICOMweb root of an Orthanc that wants ``USER`` and ``PASSWORD``, and the
    PEM of the CA that signed its certificate."""
    root = tmp_path_factory.mktemp("orthanc-auth")
    ca, server_pem = make_tls(root / "tls")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(server_pem)
    with running_orthanc(root, users={USER: PASSWORD}) as server:
        files = list(iter_files(blank_export / "dicom"))
        assert upload(server.url, files, auth=(USER, PASSWORD)) == len(files)
        with TcpLink(urlsplit(server.url).port or 0, tls=tls) as link:
            yield f"https://127.0.0.1:{link.port}/dicom-web", ca


def _pull(src: Path, url: str, user: str, password: str, *args: str) -> tuple[int, str]:
    env = {USER_ENV: user, PASSWORD_ENV: password, TOKEN_ENV: ""}
    command = ["pull", str(src), "-q", "--dicomweb", url, "--retries", "1", "--backoff", "0", *args]
    result = CliRunner(env=env).invoke(main, command)
    return result.exit_code, result.output


@pytest.fixture
def blank_src(blank_export: Path, tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(blank_export / "reports", src / "reports")
    return src


def test_https_with_the_ca_bundle_and_the_right_credentials(
    secure: tuple[str, Path], blank_src: Path
) -> None:
    url, ca = secure
    code, out = _pull(blank_src, url, USER, PASSWORD, "--ca-bundle", str(ca))
    assert code == 0, out
    assert "instances received 1 of 1" in out
    assert len(list((blank_src / "dicom").rglob("*.dcm"))) == 1


def test_https_without_the_ca_is_one_clear_error(secure: tuple[str, Path], blank_src: Path) -> None:
    url, _ = secure
    code, out = _pull(blank_src, url, USER, PASSWORD)
    assert code == 8, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert "TLS certificate" in lines[0]
    assert "--ca-bundle" in lines[0]
    assert not (blank_src / "dicom").exists()


@pytest.mark.parametrize("user", [USER, "nobody"])
def test_wrong_credentials_name_the_variables_not_the_secret(
    user: str, secure: tuple[str, Path], blank_src: Path
) -> None:
    url, ca = secure
    wrong = "not-the-Pa55word"
    code, out = _pull(blank_src, url, user, wrong, "--ca-bundle", str(ca))
    assert code == 8, out
    assert "HTTP 401" in out
    assert USER_ENV in out and PASSWORD_ENV in out
    assert wrong not in out and PASSWORD not in out and user not in out
    assert len([line for line in out.splitlines() if line.strip()]) == 1, out
