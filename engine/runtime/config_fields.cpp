#include "engine/runtime/config_fields.h"

#include "engine/runtime/layer_ops.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {
constexpr int kMostSize = 1 << 20;
}  // namespace

ConfigFields::ConfigFields(std::string path) : path_(std::move(path)), json_(readJsonFile(path_, 1u << 20)) {
  if (!json_.isObject()) fail("it is not a JSON object");
}

void ConfigFields::fail(const std::string& what) const { throw Error("config '" + path_ + "': " + what); }

void ConfigFields::integer(const char* key, int& field, int least) const {
  const JsonValue* v = json_.find(key);
  if (!v || v->isNull()) return;  // left out: the class's default
  const std::optional<std::int64_t> value = v->asInteger();
  if (!v->isNumber() || !value || *value < least || *value > kMostSize)
    fail(std::string(key) + " is not allowed: expected an integer " + std::to_string(least) + " … " +
         std::to_string(kMostSize));
  field = static_cast<int>(*value);
}

void ConfigFields::epsilon(const char* key, double& field) const {
  const JsonValue* eps = json_.find(key);
  if (!eps || eps->isNull()) return;
  if (!eps->isNumber() || !(eps->asDouble() > 0) || eps->asDouble() > 1)
    fail(std::string(key) + " is not allowed: expected a number in (0, 1]");
  field = eps->asDouble();
}

void ConfigFields::boolean(const char* key, bool& field) const {
  const JsonValue* v = json_.find(key);
  if (!v || v->isNull()) return;
  if (!v->isBool()) fail(std::string(key) + " is not allowed: expected true or false");
  field = v->asBool();
}

void ConfigFields::positive(const char* key, double& field) const {
  const JsonValue* v = json_.find(key);
  if (!v || v->isNull()) return;
  if (!v->isNumber() || !(v->asDouble() > 0) || v->asDouble() > 1e12)
    fail(std::string(key) + " is not allowed: expected a number in (0, 1e12]");
  field = v->asDouble();
}

void ConfigFields::activation(const char* key, std::string& field) const {
  const JsonValue* a = json_.find(key);
  if (!a || a->isNull()) return;
  if (!a->isString()) fail(std::string(key) + " is not a string");
  if (!knownActivation(a->asString()))
    fail(std::string(key) + " '" + attnscope::quoted(a->asString()) +
         "' is not run here: expected gelu, gelu_new, gelu_pytorch_tanh or relu");
  field = a->asString();
}

}  // namespace attnscope
