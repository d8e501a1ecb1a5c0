// libFuzzer harness: the JSON reader, the config.json importer and the stack-file reader, then the model analysis
// the Model tab runs on what they accept (at a small n, so every accepted file is analysed in milliseconds).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/io/json.h"
#include "engine/models/hf_config.h"
#include "engine/models/model_report.h"
#include "engine/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attnscope;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  JsonValue json;
  try {
    json = parseJson(text, "fuzz");
  } catch (const Error&) {
    return 0;
  }
  ConfigRequest request;
  request.n = 96;
  request.globals = {0, 5};
  for (int which = 0; which < 2; ++which) {
    try {
      LayerStack stack = which == 0 ? stackFromHfConfig(json, request, "fuzz") : stackFromJson(json);
      if (stack.n > 4096) stack.n = 96;  // a stack file may ask for any n; the harness keeps each run short
      (void)stackToJson(stack);
      (void)analyzeModel(stack, {});
    } catch (const Error&) {
    }
  }
  return 0;
}
