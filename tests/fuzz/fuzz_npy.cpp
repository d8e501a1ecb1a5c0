// libFuzzer harness: the .npy reader's header checks, on the bytes of a whole file, then the data it accepts.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/io/npy.h"
#include "engine/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const attnscope::NpyHeader h = attnscope::parseNpyHeader(bytes, size);
    // What the reader would read next must really be there: touch every byte of it.
    const std::uint64_t need = std::uint64_t(h.count) * std::uint64_t(h.itemSize);
    if (h.dataOffset + need > size) __builtin_trap();
    unsigned sum = 0;
    for (std::uint64_t i = 0; i < need; ++i) sum += static_cast<unsigned char>(bytes[h.dataOffset + i]);
    volatile unsigned sink = sum;
    (void)sink;
  } catch (const attnscope::Error&) {
  }
  return 0;
}
