"""A local fake of an OpenAI-compatible chat-completions server: a real HTTP server on 127.0.0.1
speaking the wire format (POST /v1/chat/completions; a JSON completion, or server-sent events with
`data:` chunks over chunked transfer encoding, closed by `data: [DONE]`), with the ways a real one
misbehaves: slow to answer, slow to stream, an error status, a body that is not a completion.
"""

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM:
    def __init__(self, *, reply: str = "Sounds great. How do you follow up with new leads today?"):
        self.reply = reply
        self.delay = 0.0  # seconds before the answer's headers
        self.chunk_delay = 0.0  # seconds between streamed chunks
        self.status = 200
        self.raw_body: bytes | None = None  # sent as is instead of a completion
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeLLM":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (its budget)
                    fake.answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # What the server says -------------------------------------------------------------------------
    def answer(self, handler: BaseHTTPRequestHandler, body: dict) -> None:
        if self.delay:
            time.sleep(self.delay)
        if self.path_ok(handler) is False:
            return
        if self.status != 200:
            self._send(handler, self.status, json.dumps({"error": {"message": "model overloaded"}}).encode())
            return
        if self.raw_body is not None:
            self._send(handler, 200, self.raw_body)
            return
        if not body.get("stream"):
            completion = {"id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model"),
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": self.reply}}]}  # fmt: skip
            self._send(handler, 200, json.dumps(completion).encode())
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream; charset=utf-8")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        self._chunk(handler, b": keep-alive\n\n")
        words = self.reply.split(" ")
        for index, word in enumerate(words):
            piece = word if index == len(words) - 1 else word + " "
            delta = {"role": "assistant", "content": piece} if index == 0 else {"content": piece}
            event = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": body.get("model"),
                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}  # fmt: skip
            self._chunk(handler, f"data: {json.dumps(event)}\n\n".encode())
            if self.chunk_delay:
                time.sleep(self.chunk_delay)
        last = {"id": "chatcmpl-1", "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}  # fmt: skip
        self._chunk(handler, f"data: {json.dumps(last)}\n\n".encode())
        self._chunk(handler, b"data: [DONE]\n\n")
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()

    @staticmethod
    def path_ok(handler: BaseHTTPRequestHandler) -> bool:
        if handler.path.rstrip("/") == "/v1/chat/completions":
            return True
        FakeLLM._send(handler, 404, b'{"error": {"message": "not found"}}')
        return False

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)
        handler.wfile.flush()

    @staticmethod
    def _chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        handler.wfile.flush()
