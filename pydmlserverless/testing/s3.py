"""A real HTTP S3 endpoint on loopback: moto's ThreadedMotoServer in a thread of the test process."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .pool import EmulatorError

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer

TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class MotoS3Server:
    """moto's server on 127.0.0.1 and a free port.

    Parameters
    ----------
    host : str
        Address to bind.

    Notes
    -----
    moto keeps its state in process-wide backends, so every moto server (and ``mock_aws``) in the
    test process sees the same buckets. Emulated Lambda runtimes reach it over loopback with
    AWS_ENDPOINT_URL_S3 set to :attr:`endpoint_url`.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._server: ThreadedMotoServer | None = None
        self._port = 0

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise EmulatorError("moto server not started")
        return f"http://{self.host}:{self._port}"

    def start(self) -> MotoS3Server:
        """Start serving; returns self."""
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        server.start()
        self._server = server
        self._port = server.get_host_and_port()[1]
        return self

    def reset(self) -> None:
        """Forget all buckets and objects (moto's reset API)."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> MotoS3Server:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def moto_s3(host: str = "127.0.0.1") -> Iterator[str]:
    """Run a moto server for the duration of the block and yield its endpoint URL."""
    with MotoS3Server(host) as server:
        yield server.endpoint_url
