#pragma once
// A model's config.json read as the library's config class reads it: a field left out (or null) keeps the class's
// default; a field given must be of the right kind and in range, or the one line that says so is thrown.

#include <string>

#include "engine/io/json.h"

namespace attnscope {

class ConfigFields {
 public:
  /// Reads `path` (a JSON object of at most 1 MB); throws Error naming it otherwise.
  explicit ConfigFields(std::string path);
  const JsonValue& json() const { return json_; }
  /// An integer least … 2²⁰ into `field`.
  void integer(const char* key, int& field, int least) const;
  /// A number in (0, 1] into `field` (a LayerNorm's eps).
  void epsilon(const char* key, double& field) const;
  /// true or false into `field`.
  void boolean(const char* key, bool& field) const;
  /// A number > 0 (at most 1e12) into `field` (RoPE's θ).
  void positive(const char* key, double& field) const;
  /// An activation the runtime runs (layer_ops.h) into `field`.
  void activation(const char* key, std::string& field) const;
  /// Throws the field's one line: "config '…': <what>".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  JsonValue json_;
};

}  // namespace attnscope
