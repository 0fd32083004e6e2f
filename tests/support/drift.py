"""Simulated OpenTelemetry drift: a private name the kit uses disappears, as a new release
might rename or drop it, while the library's own code keeps working.

    hide_from_kit("opentelemetry.sdk.trace:SynchronousMultiSpanProcessor._on_ending")

installs a descriptor under that name which raises AttributeError for code in the
flaskops_flask package and serves everyone else as before (class attributes and methods
as they were, instance attributes from where the descriptor keeps them). That is what a
rename looks like from the kit's side: the SDK still uses its field, the kit's access to
the old name fails. Also: a new field the SDK's Span sets that RecordingSpan does not
(`add_span_field`), a private constructor keyword that is no longer taken (`drop_keyword`),
a version outside the tested range (`fake_version`), and a module that no longer exists
(`remove_module`).

No pytest here: tests/telemetry/drift_driver.py applies these in a fresh process.
"""

from __future__ import annotations

import functools
import inspect
import sys
from importlib import import_module
from types import FrameType
from typing import Any

_MISSING = object()
KIT = "flaskops_flask"


def _from_kit(frame: FrameType | None) -> bool:
    return frame is not None and str(frame.f_globals.get("__name__", "")).startswith(KIT)


class _HiddenFromKit:
    def __init__(self, owner: type, name: str) -> None:
        self.owner = owner.__name__
        self.name = name
        self.original = owner.__dict__.get(name, _MISSING)
        self.slot = f"_drift_kept_{name}"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if _from_kit(sys._getframe(1)):
            raise AttributeError(f"'{self.owner}' object has no attribute '{self.name}'")
        if self.original is not _MISSING:
            getter = getattr(self.original, "__get__", None)
            return getter(obj, objtype) if getter is not None else self.original
        if obj is None:
            raise AttributeError(self.name)
        values = vars(obj)
        if self.slot in values:
            return values[self.slot]
        if self.name in values:  # set before the drift was applied
            return values[self.name]
        raise AttributeError(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        vars(obj)[self.slot] = value

    def __delete__(self, obj: Any) -> None:
        vars(obj).pop(self.slot, None)


def _owner(spec: str) -> tuple[type, str]:
    module, _, dotted = spec.partition(":")
    owner_name, _, name = dotted.rpartition(".")
    return getattr(import_module(module), owner_name), name


def hide_from_kit(spec: str) -> None:
    """`spec` is "module:Owner.name", as flaskops_flask.guard.PRIVATE_HOOKS lists them."""
    owner, name = _owner(spec)
    setattr(owner, name, _HiddenFromKit(owner, name))


def add_span_field(field: str) -> None:
    """The SDK's Span starts setting a field of its own that RecordingSpan does not set."""
    from opentelemetry.sdk.trace import Span

    original = Span.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        setattr(self, field, None)

    Span.__init__ = __init__  # type: ignore[method-assign]


def drop_keyword(spec: str, keyword: str) -> None:
    """`Owner(...)` (spec "module:Owner") no longer takes `keyword`: its signature lacks it
    and passing it raises TypeError, as after a release that renamed it."""
    module, _, name = spec.partition(":")
    owner = getattr(import_module(module), name)
    original = owner.__init__
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if keyword in kwargs:
            raise TypeError(f"__init__() got an unexpected keyword argument '{keyword}'")
        original(self, *args, **kwargs)

    kept = [p for p in signature.parameters.values() if p.name != keyword]
    __init__.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    owner.__init__ = __init__


def fake_version(distribution: str, version: str) -> None:
    """importlib.metadata reports `version` for `distribution` (as after an upgrade)."""
    import importlib.metadata as metadata

    real = metadata.version

    def fake(name: str) -> str:
        return version if name == distribution else real(name)

    metadata.version = fake
    guard = sys.modules.get(f"{KIT}.guard")
    if guard is not None:
        guard.version = fake  # type: ignore[attr-defined]


def remove_module(name: str) -> None:
    """Importing `name` fails, as after a release that moved or dropped it."""
    sys.modules[name] = None  # type: ignore[assignment]


def apply(drift: str) -> None:
    """One drift by its test name: "hide:<spec>", "field:<name>",
    "keyword:<module:Owner>:<keyword>", "version:<dist>=<v>", "module:<name>"."""
    kind, _, arg = drift.partition(":")
    if kind == "hide":
        hide_from_kit(arg)
    elif kind == "field":
        add_span_field(arg)
    elif kind == "keyword":
        owner, _, keyword = arg.rpartition(":")
        drop_keyword(owner, keyword)
    elif kind == "version":
        distribution, _, version = arg.partition("=")
        fake_version(distribution, version)
    elif kind == "module":
        remove_module(arg)
    else:
        raise ValueError(f"unknown drift {drift!r}")
