// libFuzzer harness: a sample set for `tokens --samples` and the Tokens page (one sentence in several languages, its
// words cut by hand), read as they read it and counted through the shipped stories260K tokenizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/runtime/fertility.h"
#include "engine/runtime/inference.h"
#include "engine/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Read once: the fuzz script runs from the project's folder.
  static const attnscope::RuntimeModel model = attnscope::openModel("resources/stories260K/stories260K.bin");
  try {
    const std::vector<attnscope::LanguageSample> samples =
        attnscope::parseLanguageSamples(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz input");
    const std::vector<attnscope::TokenCount> counts =
        attnscope::countTokens(*model.tokenizer, model.model.get(), samples);
    for (const attnscope::TokenCount& c : counts)
      if (c.tokens < 0 || c.n < c.tokens || !(c.perWord >= 0)) __builtin_trap();
  } catch (const attnscope::Error&) {
  }
  return 0;
}
