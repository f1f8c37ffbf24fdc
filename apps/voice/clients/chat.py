"""A thin client of the OpenAI-compatible chat-completions API (POST {base}/chat/completions), as
served by OpenAI, vLLM, llama.cpp's server, Ollama, LiteLLM and others.

Streaming (server-sent events: `data: {...}` lines, each with choices[0].delta.content, closed by
`data: [DONE]`) or a plain JSON answer (choices[0].message.content). Every call has a time budget:
past it, ChatTimeout, whatever the server is doing (the request runs on a small shared thread pool
and is abandoned there; its socket times out on its own soon after).
"""

import json
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import requests

logger = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="llm")


class ChatError(Exception):
    """The endpoint failed: unreachable, an error status, or an answer that is not the wire format."""


class ChatTimeout(ChatError):
    """No complete answer within the time budget."""


@dataclass(frozen=True)
class ChatClient:
    base_url: str
    model: str
    api_key: str = ""
    stream: bool = True
    max_tokens: int = 160
    temperature: float = 0.4

    @property
    def url(self) -> str:
        base = self.base_url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"

    def complete(self, messages: list[dict], *, budget: float) -> str:
        """The assistant's reply to `messages`, within `budget` seconds (ChatTimeout otherwise)."""
        deadline = time.monotonic() + budget
        future = _POOL.submit(self._request, messages, deadline)
        try:
            return future.result(timeout=max(0.0, budget))
        except FutureTimeout:
            future.cancel()
            raise ChatTimeout(f"no answer within {budget:.2f} s") from None

    def _request(self, messages: list[dict], deadline: float) -> str:
        body = {"model": self.model, "messages": messages, "stream": self.stream, "max_tokens": self.max_tokens,
                "temperature": self.temperature}  # fmt: skip
        headers = {"Content-Type": "application/json",
                   "Accept": "text/event-stream" if self.stream else "application/json"}  # fmt: skip
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        remaining = max(0.05, deadline - time.monotonic())
        try:
            with requests.post(self.url, json=body, headers=headers, stream=True,
                               timeout=(min(remaining, 5.0), remaining + 0.5)) as response:  # fmt: skip
                if response.status_code != 200:
                    raise ChatError(f"HTTP {response.status_code}: {response.text[:200]}")
                if "text/event-stream" in response.headers.get("Content-Type", ""):
                    return "".join(self._deltas(response, deadline))
                return _message_content(response.json())
        except requests.Timeout as exc:
            raise ChatTimeout(str(exc)) from exc
        except (requests.RequestException, ValueError) as exc:
            raise ChatError(str(exc)) from exc

    @staticmethod
    def _deltas(response: requests.Response, deadline: float) -> Iterator[str]:
        """The content pieces of a streamed answer, as they arrive."""
        for raw in response.iter_lines(chunk_size=None, decode_unicode=False):
            if time.monotonic() > deadline:
                raise ChatTimeout("the stream outran its time budget")
            line = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()
            if not line.startswith("data:"):
                continue  # blank keep-alives, comments (": ping"), event: and id: fields
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                return
            try:
                chunk = json.loads(data)
            except ValueError as exc:
                raise ChatError(f"not JSON in the stream: {data[:80]}") from exc
            if "error" in chunk:
                raise ChatError(f"error in the stream: {str(chunk['error'])[:200]}")
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    yield piece


def _message_content(payload: dict) -> str:
    try:
        return payload["choices"][0]["message"]["content"] or ""
    except (KeyError, IndexError, TypeError) as exc:
        raise ChatError(f"not a chat completion: {str(payload)[:200]}") from exc
