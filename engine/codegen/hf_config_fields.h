#pragma once
// A stack (or one pattern in every layer) written as the Hugging Face config.json fields that give the same
// layers, where the library can express them, and a plain statement of what it cannot.
//
// What a config can say, as models/hf_config reads it back: a decoder's causal sliding windows and full layers
// (`layer_types` with one `sliding_window`; Mistral's `sliding_window` alone, Gemma 3's `sliding_window_pattern`
// and Qwen2's `use_sliding_window` with `max_window_layers` where the layers fall that way); Longformer's
// `attention_window` per layer (its global tokens are an input, `global_attention_mask`, not a field); BigBird's
// `block_size` and `num_random_blocks` (random blocks seeded with the layer index); full attention both ways for an
// encoder. Anything else (dilation, strided, DeepSpeed layouts, two window sizes, a mix of kinds) it cannot.

#include <string>
#include <vector>

#include "engine/models/layer_stack.h"

namespace attnscope::codegen {

struct HfConfigFields {
  bool expressible = false;
  std::string fields;      ///< a JSON object of the layout fields (with num_hidden_layers for a stack); "" if none
  std::string modelSizes;  ///< a JSON object of the model's sizes, so the fields read back as a whole config
  std::vector<std::string> also;           ///< other ways to say the same ("model_type gemma3_text: …")
  std::vector<std::string> cannotExpress;  ///< one line each, naming the layer
  std::vector<std::string> notes;          ///< what the fields leave to the caller (global tokens, padding, eval)
};

/// The fields for a stack. `everyLayer`: the stack holds one layer that stands for every layer of a model (a single
/// pattern), so no layer count is written. Throws Error for a stack that does not check.
HfConfigFields hfConfigFields(const LayerStack& stack, bool everyLayer = false);
/// The fields for one pattern standing for every layer of a model ("a sliding window in every layer").
HfConfigFields hfConfigFieldsForPattern(const CheckedPattern& pattern);
/// {"config_fields", "model_sizes", "also", "cannot_express", "notes"} as one JSON document.
std::string hfConfigJson(const HfConfigFields& fields);

}  // namespace attnscope::codegen
