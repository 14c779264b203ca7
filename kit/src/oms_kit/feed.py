"""Follow a service's notification log: eventsourcing's ``recorder.subscribe`` (LISTEN/NOTIFY,
no busy polling) read in a thread, handed out in batches."""

from __future__ import annotations

import queue
import threading
from types import TracebackType

from eventsourcing.persistence import ApplicationRecorder, Notification

_END = object()


class NotificationFeed:
    """Notifications after position ``gt``, in order, in batches of at most ``batch_size``."""

    def __init__(self, recorder: ApplicationRecorder, gt: int | None, batch_size: int) -> None:
        self._subscription = recorder.subscribe(gt=gt)
        self._batch_size = batch_size
        self._queue: queue.Queue[object] = queue.Queue(maxsize=batch_size * 4)
        self._error: BaseException | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="notification-feed", daemon=True)

    def __enter__(self) -> NotificationFeed:
        self._subscription.__enter__()
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        self._subscription.stop()
        # Unblock a pump waiting on a full queue.
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=5)
        self._subscription.__exit__(None, None, None)

    def next_batch(self, timeout: float) -> list[Notification]:
        """Wait up to ``timeout`` seconds for the first notification, then take what is
        ready, up to the batch size. Raises the subscription's error if it failed."""
        batch: list[Notification] = []
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return batch
        while True:
            if item is _END:
                self._queue.put(_END)  # keep the end visible to later calls
                if self._error is not None:
                    raise self._error
                if not batch:
                    raise EOFError("notification feed ended")
                return batch
            assert isinstance(item, Notification)
            batch.append(item)
            if len(batch) >= self._batch_size:
                return batch
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch

    def _pump(self) -> None:
        try:
            for notification in self._subscription:
                if self._stopped.is_set():
                    break
                self._queue.put(notification)
        except BaseException as exc:
            self._error = exc
        finally:
            if not self._stopped.is_set():
                self._queue.put(_END)
