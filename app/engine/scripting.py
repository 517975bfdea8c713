"""The restricted environment every BPMN script and expression runs in.

RestrictedPython compiles the code (no imports, no dunder or underscore names, guarded attribute and item
access); the operators that can build huge values are rewritten to size-checked calls; a trace function
bounds the run time. Service tasks are not run here: they go to the dispatcher the services layer supplies.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import gc
import os
import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import CodeType, FrameType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    safe_globals,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

SCRIPT_FILENAME = "<bpmn-script>"  # the code objects of diagrams' scripts and expressions (the tracer's mark)
SCRIPT_TIME_LIMIT_S = 0.5  # CPU seconds of the diagram's own code; the shipped expressions take microseconds
MAX_SEQUENCE_LEN = 100_000
MAX_POW_BITS = 4096
MAX_STATE_BYTES = 1_000_000  # a serialized instance larger than this is refused (memory bound on scripts)
# str methods that build a string of a caller-chosen size in one C call
_SIZING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "format", "format_map"})


class ScriptTimeout(RuntimeError):
    """A script or expression exceeded its time budget."""


class UnsafeScriptError(ValueError):
    """A script or expression does not compile under the restricted policy."""


class _SizeGuardingPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus `a ** b`, `a * b` and `a << b` routed to size-checked helpers."""

    _OPS: dict[type[ast.operator], str] = {
        ast.Pow: "_hotich_pow_",
        ast.Mult: "_hotich_mul_",
        ast.LShift: "_hotich_lshift_",
        ast.Add: "_hotich_add_",
    }

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        # f"{x:>999999999}" builds a huge string in one C call
        if node.format_spec is not None:
            self.error(node, "Không dùng định dạng độ rộng trong f-string của kịch bản quy trình.")
        return self.node_contents_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        name = self._OPS.get(type(node.op))
        if name is None:
            return node
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "Không được import trong kịch bản quy trình.")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "Không được import trong kịch bản quy trình.")
        return node


def _guarded_pow(a: Any, b: Any) -> Any:
    if (
        isinstance(a, int)
        and isinstance(b, int)
        and abs(a) > 1
        and b * max(abs(a).bit_length(), 1) > MAX_POW_BITS
    ):
        raise ValueError("Phép lũy thừa quá lớn trong biểu thức.")
    return a**b


def _guarded_mul(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if (
            isinstance(seq, str | bytes | list | tuple)
            and isinstance(n, int)
            and len(seq) * n > MAX_SEQUENCE_LEN
        ):
            raise ValueError("Chuỗi/danh sách tạo ra quá lớn trong biểu thức.")
    return a * b


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple) else 0


def _guarded_add(a: Any, b: Any) -> Any:
    if _sized(a) + _sized(b) > MAX_SEQUENCE_LEN:
        raise ValueError("Chuỗi/danh sách tạo ra quá lớn trong biểu thức.")
    return a + b


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQUENCE_LEN:
        raise ValueError(f"range() quá lớn trong biểu thức (tối đa {MAX_SEQUENCE_LEN} phần tử).")
    return r


def _guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, str | bytes) and name in _SIZING_METHODS:
        raise UnsafeScriptError(f"Phương thức {name}() không được dùng trong kịch bản quy trình.")
    if isinstance(obj, str | bytes) and name == "join":
        return _bounded_join(obj)
    return safer_getattr(obj, name, default)  # type: ignore[no-untyped-call]


def _bounded_join(sep: Any) -> Callable[[Any], Any]:
    def join(items: Any) -> Any:
        items = list(items)
        if len(sep) * len(items) + sum(_sized(i) for i in items) > MAX_SEQUENCE_LEN:
            raise ValueError("Chuỗi tạo ra quá lớn trong biểu thức.")
        return sep.join(items)

    return join


def _guarded_lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > MAX_POW_BITS:
        raise ValueError("Phép dịch bit quá lớn trong biểu thức.")
    return a << b


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": _guarded_add,
        "-=": lambda p, q: p - q,
        "*=": _guarded_mul,
        "/=": lambda p, q: p / q,
        "//=": lambda p, q: p // q,
        "%=": lambda p, q: p % q,
        "**=": _guarded_pow,
        "|=": lambda p, q: p | q,
        "&=": lambda p, q: p & q,
    }
    if op not in ops:
        raise UnsafeScriptError(f"Toán tử {op} không được phép.")
    return ops[op](x, y)


def _base_globals() -> dict[str, Any]:
    builtins = dict(safe_globals["__builtins__"])
    builtins.update(
        {
            "dict": dict,
            "list": list,
            "set": set,
            "frozenset": frozenset,
            "sum": sum,
            "min": min,
            "max": max,
            "any": any,
            "all": all,
            "enumerate": enumerate,
            "sorted": sorted,
            "reversed": reversed,
            "map": map,
            "filter": filter,
            "range": _bounded_range,
        }
    )
    return {
        "__builtins__": builtins,
        "_getattr_": _guarded_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "_hotich_pow_": _guarded_pow,
        "_hotich_mul_": _guarded_mul,
        "_hotich_lshift_": _guarded_lshift,
        "_hotich_add_": _guarded_add,
        # pure helpers analysts may use
        "date": _dt.date,
        "timedelta": _dt.timedelta,
    }


def script_globals() -> frozenset[str]:
    """Names every script and expression can read without the process defining them."""
    g = _base_globals()
    return frozenset(g) | frozenset(g["__builtins__"]) | {"True", "False", "None"}


@lru_cache(maxsize=4096)
def compile_expression(expression: str) -> CodeType:
    """Compile an expression under the restricted policy (cached: diagrams reuse the same texts)."""
    result = compile_restricted_eval(expression, filename=SCRIPT_FILENAME, policy=_SizeGuardingPolicy)
    if result.errors or result.code is None:
        raise UnsafeScriptError("; ".join(result.errors) or "không biên dịch được")
    return result.code


@lru_cache(maxsize=1024)
def compile_script(script: str) -> CodeType:
    """Compile a script under the restricted policy."""
    result = compile_restricted_exec(script, filename=SCRIPT_FILENAME, policy=_SizeGuardingPolicy)
    if result.errors or result.code is None:
        raise UnsafeScriptError("; ".join(result.errors) or "không biên dịch được")
    return result.code


MAX_SCRIPT_MEMORY_BYTES = 64 * 1024 * 1024  # growth of the process' resident memory while one script runs
_MEMORY_CHECK_EVERY = 256  # trace events between two memory readings (a reading costs a few microseconds)


def _resident_bytes() -> int:
    """This process' resident memory (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _CollectorTime:
    """Seconds this process has spent in the cyclic garbage collector (`_count_collector_time` keeps the sum).

    A collection that starts while a script runs is work of the whole process (and the finalizers of
    whatever it frees), not of the script: the script's budget does not pay for it."""

    total = 0.0
    started = 0.0


def _count_collector_time(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _CollectorTime.started = time.perf_counter()
    elif _CollectorTime.started:
        _CollectorTime.total += time.perf_counter() - _CollectorTime.started
        _CollectorTime.started = 0.0


if _count_collector_time not in gc.callbacks:
    gc.callbacks.append(_count_collector_time)


def run_bounded(fn: Callable[[], Any], limit_s: float = SCRIPT_TIME_LIMIT_S) -> Any:
    """Run `fn` and abort it with ScriptTimeout once it has used `limit_s` seconds of CPU or its memory grew
    past MAX_SCRIPT_MEMORY_BYTES (both checked per line of the diagram's code, compiled as SCRIPT_FILENAME).

    Only the diagram's own frames are traced and may be stopped: code that runs meanwhile without being the
    script's (a finalizer or weakref callback the collector calls, the gc callback) is never interrupted,
    so stopping a script cannot break the process' own bookkeeping.

    The budget is this thread's CPU time, not the wall clock, less the time the garbage collector ran
    meanwhile: a script is stopped for what it does, never because the machine is busy with other requests
    or the process collects its garbage (a loaded server must not fail ordinary dossiers)."""
    deadline = time.thread_time() + limit_s
    collected_before = _CollectorTime.total
    # a thread cannot use more CPU than the wall time that passed: until `limit_s` of wall time has gone by,
    # the CPU budget cannot be spent, so the per-event check reads the cheap monotonic clock (vDSO) and
    # asks for the thread's CPU time (a system call) only after that
    wall_free_until = time.perf_counter() + limit_s
    base = _resident_bytes()
    events = 0
    previous = sys.gettrace()

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal events
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None  # not the diagram's code: neither traced nor stopped
        if (
            time.perf_counter() > wall_free_until
            and time.thread_time() - (_CollectorTime.total - collected_before) > deadline
        ):
            raise ScriptTimeout(f"Biểu thức/kịch bản dùng quá {limit_s} giây CPU.")
        events += 1
        if base and events % _MEMORY_CHECK_EVERY == 0:
            if _resident_bytes() - base > MAX_SCRIPT_MEMORY_BYTES:
                raise ScriptTimeout(
                    f"Biểu thức/kịch bản dùng quá {MAX_SCRIPT_MEMORY_BYTES // (1024 * 1024)} MB bộ nhớ."
                )
        return tracer

    sys.settrace(tracer)
    try:
        return fn()
    finally:
        sys.settrace(previous)


class RestrictedEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment whose eval/exec go through RestrictedPython and a time bound."""

    def __init__(self, extra_globals: Mapping[str, Any] | None = None) -> None:
        g = _base_globals()
        g.update(extra_globals or {})
        super().__init__(g)

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        code = compile_expression(expression)
        scope = copy.copy(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return run_bounded(lambda: eval(code, scope))

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        code = compile_script(script)
        self.check_for_overwrite(context, external_context or {})
        context.update(copy.copy(self.globals))
        context.update(external_context or {})
        try:
            run_bounded(lambda: exec(code, context))
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            for key in [k for k in context if k.startswith("_")]:
                context.pop(key)
        return True


class ServiceDispatcher:
    """What a service task calls. `dispatch` returns the result now, or DEFERRED to run it as a job."""

    def dispatch(self, task: Any, operation: str, params: dict[str, Any]) -> Any:
        raise NotImplementedError


DEFERRED = object()


class CivilScriptEngine(PythonScriptEngine):
    """Script engine with the restricted environment and a per-command service dispatcher."""

    def __init__(self, dispatcher: ServiceDispatcher | None = None) -> None:
        super().__init__(environment=RestrictedEnvironment())
        self.dispatcher = dispatcher

    def call_service(
        self, task: Any, **kwargs: Any
    ) -> Any:  # pragma: no cover - replaced by DeferrableServiceTask
        raise NotImplementedError("service tasks are run through DeferrableServiceTask")
