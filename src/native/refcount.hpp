// refcount.hpp: the binding's bets on CPython internals (reference counts, the GIL), each said
// once.
//
// The engine reuses four kinds of object instead of freeing one and making
// the next: the Request of the last request (Engine::take_request), the
// stand-in that is asyncio's current task while the engine runs a handler's
// step (Engine::step_coro), an ASGI request's call with the `receive` and
// `send` given to the app (asgi::release), and the memory of dead Responses
// (response_type.cpp). Each reuse rests on a fact about CPython that its C
// API does not promise. The facts are written here, with the versions they
// were checked on, and each reuse asks the predicate below instead of reading
// Py_REFCNT itself. Where a fact is not known to hold the predicate says
// "never" at compile time: the objects are then made afresh, a little slower
// and still right.
//
// Checked on CPython 3.10, 3.11, 3.12 and 3.13, default (GIL) builds, by
// tests/python/test_refcount_bets.py: each test there fails if its fact
// breaks (a kept object changes under its holder) or if reuse stops
// happening. scripts/test.sh runs the suite on 3.10 and 3.13 besides the
// .venv's Python. A newer CPython builds with reuse off until that suite
// has passed on it and `verified_through` says so.
//
// Fact 1, exact counts. On a GIL build Py_REFCNT(o) is the number of strong
// references to o, and while this thread holds the GIL and runs no Python
// code nobody can take a new one. Immortal objects (3.12+, PEP 683) read as
// having a huge count: they are never reused, the safe side; Requests and
// stand-ins are heap objects made here, never immortal.
// Not on a free-threaded build (3.13t, 3.14t: Py_GIL_DISABLED): there a
// count is split into the owning thread's part and a shared part that other
// threads change and merge later (biased reference counting, PEP 703), some
// references from the interpreter's stack are deferred and not counted at
// all, and another thread may take a reference between a check and the
// reuse. No reuse there. (The module declares no Py_mod_gil slot, so
// importing it on such a build turns the GIL back on anyway unless
// PYTHON_GIL=0 forces it off; without the GIL, the rest of the binding is
// no safer than these bets.) Tests: test_a_kept_request_*, test_a_request_
// kept_only_by_a_traceback_*, test_reuse_is_on_on_every_verified_*.
//
// Fact 2, no uncounted references. Nothing refers to a Request or a stand-in
// without holding a strong reference, so a count equal to the engine's own
// references means nobody else can reach the object. Weak references are
// not counted. A Request may not take one: lesto._native.Request has no
// weak-reference slot, an Application's request class declares
// `__slots__ = ()`, and Engine::take_request refuses a request class that
// adds the slot. A stand-in must take them (anyio keys its per-task state on
// the current task in a WeakKeyDictionary), so only_known_refs also reads
// its weak-reference list: a stand-in someone refers to weakly is kept, as
// one referred to strongly is. Borrowed
// references in C code end with the call that borrowed them. The
// interpreter's frames hold strong references. (3.14 pushes borrowed
// references on a frame's stack, LOAD_FAST_BORROW, where its compiler finds
// that a local holds a strong one for as long; not run here, one reason
// 3.14 is past verified_through.) Tests: *_take_no_weak_references,
// test_a_request_class_that_takes_weak_references_is_refused,
// test_a_kept_stand_in_is_never_handed_to_another_handler[weakly]. An ASGI
// call takes no weak reference (its type has no slot); its `receive` and
// `send` are builtin methods, which do, so they are checked as stand-ins
// are. Tests: test_a_kept_asgi_receive_or_send_*.
//
// Fact 3, asyncio's current-task record holds exactly one strong reference
// to the task it names: asyncio.tasks._enter_task(loop, task) stores it in
// the `_current_tasks` dict on 3.10-3.13 (the C `_asyncio` and the
// pure-Python versions alike; uvloop uses asyncio's), and _leave_task drops
// it. 3.14 keeps it in the thread state, with one reference too (read in its
// source, not run here). Tests: test_asyncio_current_task_record_*,
// test_a_kept_stand_in_is_never_handed_to_another_handler.
//
// Fact 4, the GIL guards the spare Responses. Building and freeing a
// Response always runs with the GIL held, so ModuleState::spare_responses
// needs no lock. It is per module instance, so two instances (in two
// sub-interpreters) never share one. Off on a free-threaded build, where
// nothing would serialize it. Test: test_a_kept_response_stays_intact_*.

#pragma once

#include <Python.h>

namespace lesto::py::refcount {

/// The newest CPython the bets were checked on, as PY_VERSION_HEX >> 16 (0x030D: 3.13).
inline constexpr unsigned long verified_through = 0x030D;

#ifdef Py_GIL_DISABLED
inline constexpr bool free_threaded = true;
#else
inline constexpr bool free_threaded = false;
#endif

/// Facts 1 and 2 hold for this build: Requests and stand-ins may be reused.
inline constexpr bool reuse_objects = !free_threaded && (PY_VERSION_HEX >> 16) <= verified_through;

/// Fact 4 holds for this build: dead Responses' memory may be kept for the next.
inline constexpr bool spare_responses = !free_threaded;

/// Request reuse (facts 1, 2): the caller's reference to `obj` is its only one.
[[gnu::always_inline]] inline bool sole_owner(PyObject* obj) noexcept {
    if constexpr (reuse_objects) {
        return Py_REFCNT(obj) == 1;
    } else {
        static_cast<void>(obj);
        return false;
    }
}

/// Whether anyone holds a weak reference to `obj`. tp_weaklistoffset locates
/// the list head as CPython's own _PyObject_GET_WEAKREFS_LISTPTR does on
/// 3.10-3.13, a slot's offset or (3.12+) the negative managed offset alike.
[[gnu::always_inline]] inline bool weakly_referenced(PyObject* obj) noexcept {
    const Py_ssize_t offset = Py_TYPE(obj)->tp_weaklistoffset;
    return offset != 0 && *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(obj) + offset);
}

/// Stand-in reuse (facts 1, 2, 3): `obj` has no strong references but the
/// `known` ones the caller counted (its own, and asyncio's record while it is
/// the current task), and no weak ones.
[[gnu::always_inline]] inline bool only_known_refs(PyObject* obj, Py_ssize_t known) noexcept {
    if constexpr (reuse_objects) {
        return Py_REFCNT(obj) <= known && !weakly_referenced(obj);
    } else {
        static_cast<void>(obj);
        static_cast<void>(known);
        return false;
    }
}

}  // namespace lesto::py::refcount
