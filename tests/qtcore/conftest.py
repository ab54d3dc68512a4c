"""Fixtures shared by qtcore's tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from qtcore.parallel import CancelToken


@pytest.fixture
def cancel_on() -> Iterator[Callable[[threading.Event, CancelToken], None]]:
    """``cancel_on(event, token)`` cancels ``token`` from another thread once ``event`` is set
    (a user pressing Stop while a task runs); the thread is joined after the test."""
    threads: list[threading.Thread] = []

    def start(event: threading.Event, token: CancelToken) -> None:
        def wait_then_cancel() -> None:
            event.wait(timeout=30)
            token.cancel()

        thread = threading.Thread(target=wait_then_cancel)
        thread.start()
        threads.append(thread)

    yield start
    for thread in threads:
        thread.join()
