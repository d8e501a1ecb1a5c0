#pragma once
// The one exception type the engine throws: its message is meant for the user.

#include <stdexcept>
#include <string>

namespace attnscope {

/// A user-readable error: names the parameter, the value and what is allowed.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when a long computation stops because its caller asked it to.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace attnscope
