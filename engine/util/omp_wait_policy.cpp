// Linked into each AttnScope program (not the engine library): chooses OpenMP's wait policy before OpenMP starts.
//
// Threads that finish their share of a parallel loop either spin (GCC's default, for a while) or sleep until the
// next loop. On an idle machine spinning saves a few microseconds; on a loaded laptop the spinning thread takes
// the core away from the thread still holding the last rows, and two threads end slower than one (measured in
// docs/PERFORMANCE.md, "Under load"). So AttnScope waits passively unless the user chose otherwise.
//
// libgomp reads OMP_WAIT_POLICY once, in its initialiser, before main() runs; an executable's .preinit_array runs
// before every shared library's initialiser, so the choice is made there.
#include <cstdlib>

namespace {

void choosePassiveWaiting(int, char**, char**) {
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
}

__attribute__((section(".preinit_array"), used)) void (*const attnscopeWaitPolicy)(int, char**,
                                                                                   char**) = choosePassiveWaiting;

}  // namespace
