#pragma once
// The one exception type the engine throws: its message is meant for the user.

#include <stdexcept>
#include <string>
#include <string_view>

namespace attnscope {

/// A message made safe to print as one line: control characters (a newline, a NUL, an escape) written as \n, \0,
/// \x1b, and anything past `most` bytes cut at a character boundary with "… (N bytes in all)".
std::string oneLine(std::string_view text, std::size_t most = 2000);

/// A user-readable error: names the parameter, the value and what is allowed. Always one line: the message is
/// passed through oneLine(), so a value with a newline or a NUL in it cannot split or cut what is printed.
class Error : public std::runtime_error {
 public:
  explicit Error(std::string_view message) : std::runtime_error(oneLine(message)) {}
};

/// Thrown when a long computation stops because its caller asked it to.
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace attnscope
