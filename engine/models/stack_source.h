#pragma once
// Where a model's stack comes from: a Hugging Face config.json (read as the library reads it, with Longformer's
// global tokens and BigBird's train or eval mode), a stack file, or the short form typed by hand. Every command
// that takes a stack (model, attention, and those to come) reads its options into one StackSource, so one set of
// options keeps one set of rules.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/json.h"
#include "engine/models/hf_config.h"
#include "engine/models/layer_stack.h"

namespace attnscope {

struct StackSource {
  std::string config;                  ///< a config.json
  std::string stackFile;               ///< a stack file
  std::string layers;                  ///< the short form, "window radius=2 ×5, full"
  std::optional<std::string> globals;  ///< Longformer's global tokens, "0,5" or "none": with a config only
  std::optional<std::string> mode;     ///< BigBird's "train" (the default) or "eval": with a config only

  /// How many of config, stackFile and layers are given.
  int count() const;
  bool given() const { return count() > 0; }
  /// The first problem with these options as the one line a user sees, or "" when they hold together: at most one
  /// source (exactly one when `required`), --global and --mode only with a config, a mode of train or eval.
  std::string check(bool required) const;
  /// The stack at n (0: a stack file keeps its own n, and the others need one). Throws Error: check()'s line first,
  /// then whatever the file or the text says, then checkStack's.
  LayerStack load(Index n) const;

  /// What a config is asked for at n: the global tokens (parseTokenList, naming them `globalsName` in a message)
  /// and BigBird's mode. Throws Error: check()'s line first.
  ConfigRequest configRequest(Index n, std::string_view globalsName = "--global") const;
  /// The stack of a config already read (`json`, from the file `config` names): how the app rebuilds it at a new n,
  /// a new mode or new global tokens without reading the file again. load() reads the file and calls this.
  LayerStack fromConfig(const JsonValue& json, Index n, std::string_view globalsName = "--global") const;
};

/// "0,5,9" (or "none", or nothing) as token indices, each 0 … n − 1. Throws Error naming `option`.
std::vector<Index> parseTokenList(std::string_view text, Index n, std::string_view option);

}  // namespace attnscope
