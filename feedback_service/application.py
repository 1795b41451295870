"""The Flask class of the service: Flask, minus a per-request question with a fixed answer.

Flask runs every hook and view through ``ensure_sync``, which asks
``inspect.iscoroutinefunction`` each time: fourteen times for a widget answer,
about 1 % of its CPU. Whether a function is a coroutine function does not
change, so the plain ones are remembered (weakly: a closure made for one
request, as ``after_this_request`` takes, is forgotten with it).
"""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakSet

from flask import Flask


class App(Flask):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain_functions: WeakSet = WeakSet()

    def ensure_sync(self, func: Callable) -> Callable:
        # A bound method is a coroutine function exactly when its function is, and a method
        # is bound anew on each access: remember the function.
        target = getattr(func, "__func__", func)
        try:
            if target in self._plain_functions:
                return func
        except TypeError:  # not weakly referable (a builtin): ask Flask every time
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            self._plain_functions.add(target)
        return synced
