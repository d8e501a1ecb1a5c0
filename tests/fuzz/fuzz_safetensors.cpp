// libFuzzer harness: a safetensors file written from the input and opened as a model's weights are: the header's
// length, its JSON, every tensor's dtype, shape and offsets against the file, then every float tensor read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/io/safetensors.h"
#include "engine/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/fuzz_safetensors_" + std::to_string(::getpid()) + ".safetensors";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    if (size > 0) std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  try {
    const attnscope::SafetensorsFile file = attnscope::SafetensorsFile::open(path);
    for (const attnscope::TensorInfo& t : file.tensors()) {
      try {
        const std::vector<float> values = file.read(t.name, t.shape);
        if (static_cast<attnscope::Index>(values.size()) != t.count()) __builtin_trap();
      } catch (const attnscope::Error&) {  // an integer tensor is refused as weights: fine
      }
    }
  } catch (const attnscope::Error&) {
  }
  std::remove(path.c_str());
  return 0;
}
