// SPDX-License-Identifier: Apache-2.0
#pragma once
/// Names for hearthd's threads, and a lower priority for those that do bulk work.
///
/// A name (at most 15 bytes) shows in `top -H`, `ps -L` and gdb. A thread of bulk work that
/// nobody waits on at once (the API's list queries) asks for a higher nice value, so that
/// on a busy machine the threads a person waits on (the domain thread with SOS presses and
/// logins, the password hash, Paho's receive thread that both MQTT sessions share) get the
/// processor first. Raising one's own nice value needs no privilege; lowering it back
/// would, so a thread is lowered once and stays there. Linux only (a thread's nice value).
///
/// Threading: affects the calling thread only.

namespace hearth {

/// How much lower a bulk thread runs: weight 335 against 1,024 for nice 0, so a contended
/// core gives the people's threads three quarters of its time and bulk work the rest.
inline constexpr int k_bulk_nice = 5;

/// Names the calling thread and, when `nice` > 0, lowers its priority by that much.
/// Failures are ignored: a name and a priority are aids, never needed to run.
void set_thread_role(const char* name, int nice = 0);

}  // namespace hearth
