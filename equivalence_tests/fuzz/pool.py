"""A worker process that survives its draws: a crash (segfault, SIGFPE, abort) or a hang of one
request is reported as such, and the next request gets a fresh worker."""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180.0  # importing TensorFlow and torch on a busy 2-core machine
REQUEST_TIMEOUT = 60.0


class Worker:
    def __init__(self):
        self.process: subprocess.Popen | None = None

    def _start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "equivalence_tests.fuzz.worker"], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self._receive(START_TIMEOUT) != "ready":
            raise RuntimeError(f"fuzz worker did not start (exit status {self.process.poll()})")

    def request(self, *message, timeout: float = REQUEST_TIMEOUT) -> dict:
        """The worker's answer, or {"status": "crash"/"timeout", ...} (the worker is then replaced)."""
        if self.process is None or self.process.poll() is not None:
            self._start()
        data = pickle.dumps(message)
        try:
            self.process.stdin.write(struct.pack("<Q", len(data)) + data)
            self.process.stdin.flush()
            answer = self._receive(timeout)
        except BrokenPipeError:
            answer = None
        if isinstance(answer, dict):
            return answer
        if answer == "timeout":
            self.close()
            return {"status": "timeout", "message": f"no answer within {timeout:.0f} s"}
        status = self.process.wait()
        self.process = None
        return {"status": "crash", "message": f"worker died with exit status {status}"}

    def _receive(self, timeout: float):
        stream = self.process.stdout
        header = self._read_exactly(stream, 8, timeout)
        if header in (None, "timeout"):
            return header
        (size,) = struct.unpack("<Q", header)
        body = self._read_exactly(stream, size, timeout)
        return body if body in (None, "timeout") else pickle.loads(body)

    @staticmethod
    def _read_exactly(stream, size: int, timeout: float):
        chunks, got = [], 0
        fd = stream.fileno()
        while got < size:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return "timeout"
            chunk = os.read(fd, size - got)
            if not chunk:
                return None
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process = None
