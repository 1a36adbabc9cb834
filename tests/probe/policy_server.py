"""A real HTTPS server on loopback for MTA-STS policies, with a test CA (trustme) made in the test.

Each host name gets a certificate from the test CA on demand (SNI), so any
`mta-sts.<domain>` can be served; per host, a `Page` says what to answer and
how badly: a status, a body, a media type, a delay before anything, a slow
drip, chunked encoding, or a certificate the engine must not trust (another
CA, another name).

    with PolicyServer() as server:
        server.serve("mta-sts.customer.example", Page(body="version: STSv1\\r\\n..."))
        options = server.options()   # HttpsOptions for the engine: port, CA bundle, loopback allowed
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
import threading
from dataclasses import dataclass

import trustme

from tracker.probe.https_get import HttpsOptions


@dataclass
class Page:
    body: str | bytes = ""
    status: int = 200
    content_type: str = "text/plain"
    delay: float = 0.0  # seconds before the response starts (after the TLS handshake)
    drip: float = 0.0  # seconds between body bytes
    chunked: bool = False
    certificate: str = "good"  # "good", "other-ca" (an untrusted CA), "wrong-name"
    headers: tuple[tuple[str, str], ...] = ()


class PolicyServer:
    __test__ = False

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.ca = trustme.CA()
        self.other_ca = trustme.CA()  # certificates nobody was told to trust
        self.pages: dict[str, Page] = {}
        self.requests: list[tuple[str, str]] = []  # (SNI name, request line)
        self._contexts: dict[tuple[str, str], ssl.SSLContext] = {}
        self._ca_file = tempfile.NamedTemporaryFile(suffix=".pem", delete=False)  # noqa: SIM115
        self.ca.cert_pem.write_to_path(self._ca_file.name)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def ca_file(self) -> str:
        return self._ca_file.name

    def options(self, **overrides) -> HttpsOptions:
        values = dict(ca_file=self.ca_file, port=self.port, timeout=2.0, allow_private=True)
        values.update(overrides)
        return HttpsOptions(**values)

    def serve(self, host: str, page: Page) -> None:
        self.pages[host.lower()] = page

    def reset(self) -> None:
        self.pages.clear()
        self.requests.clear()

    # -- TLS: a certificate per name, chosen by SNI ----------------------------------------------

    def _context_for(self, name: str, kind: str) -> ssl.SSLContext:
        key = (name, kind)
        if key not in self._contexts:
            ca = self.other_ca if kind == "other-ca" else self.ca
            subject = "somewhere-else.example" if kind == "wrong-name" else name
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca.issue_cert(subject).configure_cert(context)
            self._contexts[key] = context
        return self._contexts[key]

    def _sni(self, sslobj: ssl.SSLObject, name: str | None, _context: ssl.SSLContext) -> None:
        name = (name or "").lower()
        page = self.pages.get(name, Page(status=404))
        sslobj.context = self._context_for(name or "unknown.example", page.certificate)
        sslobj.sni_name = name  # type: ignore[attr-defined]

    # -- life cycle ------------------------------------------------------------------------------

    def __enter__(self) -> PolicyServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True, name="policy-server")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("policy server did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        base = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("default.example").configure_cert(base)
        base.sni_callback = self._sni
        server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, 0, ssl=base))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            sslobj = writer.get_extra_info("ssl_object")
            name = (sslobj.server_hostname or getattr(sslobj, "sni_name", "") or "").lower() if sslobj else ""
            head = await reader.readuntil(b"\r\n\r\n")
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            host = next(
                (
                    line.split(":", 1)[1].strip().lower()
                    for line in head.decode("latin-1").split("\r\n")[1:]
                    if line.lower().startswith("host:")
                ),
                name,
            )
            self.requests.append((host, request_line))
            page = self.pages.get(host, Page(status=404, body="not found"))
            if page.delay:
                await asyncio.sleep(page.delay)
            body = page.body.encode() if isinstance(page.body, str) else page.body
            lines = [f"HTTP/1.1 {page.status} X", f"Content-Type: {page.content_type}", "Connection: close"]
            lines += [f"{name}: {value}" for name, value in page.headers]
            lines.append("Transfer-Encoding: chunked" if page.chunked else f"Content-Length: {len(body)}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            if page.chunked:
                for start in range(0, len(body), 1000):
                    part = body[start : start + 1000]
                    writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                writer.write(b"0\r\n\r\n")
            elif page.drip:
                for byte in body:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(page.drip)
            else:
                writer.write(body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
