#include "engine/io/npy.h"

#include <array>
#include <sstream>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#ifdef __F16C__
#include <immintrin.h>
#endif

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

// numpy itself refuses headers longer than this unless told otherwise (max_header_size); we do not go further.
constexpr std::size_t kMaxHeaderBytes = 65536;

[[noreturn]] void bad(const std::string& why) { throw Error(why); }

// A tiny reader of the header's Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class DictReader {
 public:
  explicit DictReader(std::string_view s) : s_(s) {}
  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c, const char* what) {
    if (!eat(c)) bad(std::string("the header is not a dictionary NumPy wrote (expected ") + what + ")");
  }
  std::string quoted() {
    space();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"'))
      bad("the header is not a dictionary NumPy wrote (expected a quoted text)");
    const char q = s_[i_++];
    const std::size_t end = s_.find(q, i_);
    if (end == std::string_view::npos) bad("the header is not a dictionary NumPy wrote (a text is not closed)");
    std::string out(s_.substr(i_, end - i_));
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    space();
    if (s_.substr(i_, 4) == "True") return i_ += 4, true;
    if (s_.substr(i_, 5) == "False") return i_ += 5, false;
    bad("the header's fortran_order is neither True nor False");
  }
  std::vector<Index> shape() {
    expect('(', "a shape such as (2, 3)");
    std::vector<Index> dims;
    while (!eat(')')) {
      space();
      Index v = 0;
      std::size_t digits = 0;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
        if (++digits > 18) bad("the header's shape has a dimension too large to be real");
        v = v * 10 + (s_[i_++] - '0');
      }
      if (digits == 0) bad("the header's shape is not a tuple of whole numbers");
      space();
      if (i_ < s_.size() && s_[i_] == 'L') ++i_;  // Python 2 long integers
      dims.push_back(v);
      if (dims.size() > 32) bad("the header's shape has more than 32 dimensions");
      if (!eat(',')) {
        expect(')', "')' after the shape");
        break;
      }
    }
    return dims;
  }
  bool atEnd() {
    space();
    return i_ >= s_.size();
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

float halfToFloat(std::uint16_t h) {
  // Bit by bit (no floating-point maths, so a row converts at memory speed): the sign, the exponent rebased from
  // 15 to 127, the mantissa widened; subnormals normalised, infinities and NaN kept.
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu, bits;
  if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    std::uint32_t shifts = 0;
    while (!(mantissa & 0x400u)) mantissa <<= 1, ++shifts;
    bits = sign | ((113u - shifts) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::uint16_t floatToHalf(float value) {
  std::uint32_t b;
  std::memcpy(&b, &value, 4);
  const std::uint16_t sign = std::uint16_t((b >> 16) & 0x8000u);
  const std::uint32_t magnitude = b & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // ∞ stays ∞; NaN stays a quiet NaN
    return std::uint16_t(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0u));
  const int exponent = int(magnitude >> 23) - 127;  // of the float (−127 for float subnormals: far below FP16's)
  if (exponent >= 16) return std::uint16_t(sign | 0x7c00u);
  if (exponent < -25) return sign;  // under half the smallest subnormal 2^-24 (a tie at 2^-25 goes to even: 0)
  // The significand with its hidden bit (24 bits), shifted so the bits FP16 keeps sit at the bottom; the dropped
  // bits decide the rounding. Normal FP16 keeps 11 significant bits; a subnormal keeps fewer (exponent < −14).
  const std::uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
  const int drop = exponent >= -14 ? 13 : 13 + (-14 - exponent);  // 13 … 24
  std::uint32_t kept = significand >> drop;
  const std::uint32_t rest = significand & ((1u << drop) - 1u), half = 1u << (drop - 1);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;  // nearest, ties to even
  // Normal: the exponent field is exponent + 15 and kept carries the hidden bit (0x400), which adds 1 to that field
  // when added; a carry out of the mantissa rolls into the exponent the same way (to ∞ past 65,504).
  if (exponent >= -14) return std::uint16_t(sign | ((std::uint32_t(exponent + 14) << 10) + kept));
  return std::uint16_t(sign | kept);  // subnormal (a carry to 0x400 is the smallest normal, correctly)
}

std::uint16_t floatToBfloat16(float value) {
  std::uint32_t b;
  std::memcpy(&b, &value, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((b >> 16) | 0x40u);  // NaN: keep it quiet
  const std::uint32_t rounded = b + 0x7fffu + ((b >> 16) & 1u);                  // nearest, ties to even
  return std::uint16_t(rounded >> 16);
}

float bfloat16ToFloat(std::uint16_t bits) {
  const std::uint32_t b = std::uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

void halfToFloat(const unsigned char* in, float* out, Index count) {
  Index i = 0;
#ifdef __F16C__
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i))));
#endif
  for (; i < count; ++i) {
    std::uint16_t h;
    std::memcpy(&h, in + 2 * i, 2);
    out[i] = halfToFloat(h);
  }
}

NpyHeader parseNpyHeader(std::string_view bytes, std::uint64_t fileSize) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0) bad("not a NumPy .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) bad("NPY format version " + std::to_string(major) + " is not supported (1, 2 or 3 are)");
  const std::size_t lenBytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + lenBytes) bad("the header is cut short");
  std::uint64_t headerLen = 0;
  for (std::size_t b = 0; b < lenBytes; ++b)
    headerLen |= std::uint64_t(static_cast<unsigned char>(bytes[8 + b])) << (8 * b);
  NpyHeader h;
  h.fileSize = fileSize;
  h.dataOffset = 8 + lenBytes + headerLen;
  if (h.dataOffset > fileSize) bad("the header is cut short (it claims " + std::to_string(headerLen) + " bytes)");
  if (headerLen > kMaxHeaderBytes)
    bad("the header is " + std::to_string(headerLen) + " bytes long; at most " + std::to_string(kMaxHeaderBytes) +
        " are read");
  if (bytes.size() < h.dataOffset) bad("the header is cut short");

  DictReader dict(bytes.substr(8 + lenBytes, headerLen));
  std::string descr;
  bool fortran = false, haveDescr = false, haveOrder = false, haveShape = false;
  dict.expect('{', "'{'");
  while (!dict.eat('}')) {
    const std::string key = dict.quoted();
    dict.expect(':', "':' after a key");
    if (key == "descr")
      descr = dict.quoted(), haveDescr = true;
    else if (key == "fortran_order")
      fortran = dict.boolean(), haveOrder = true;
    else if (key == "shape")
      h.shape = dict.shape(), haveShape = true;
    else
      bad("the header has an unknown key '" + key + "' (expected descr, fortran_order and shape)");
    if (!dict.eat(',')) {
      dict.expect('}', "'}' to close the header");
      break;
    }
  }
  if (!dict.atEnd()) bad("the header has text after its dictionary");
  if (!haveDescr || !haveOrder || !haveShape) bad("the header lacks descr, fortran_order or shape");
  if (descr.size() == 3 && descr[0] == '>' && descr[1] == 'f')
    bad("dtype " + descr + " is big-endian: save it little-endian (x.astype('<f4'))");
  if (descr == "<f2" || descr == "=f2" || descr == "|f2")
    h.itemSize = 2;
  else if (descr == "<f4" || descr == "=f4")
    h.itemSize = 4;
  else if (descr == "<f8" || descr == "=f8")
    h.itemSize = 8;
  else
    bad("dtype " + descr + " is not supported: save float16, float32 or float64 (e.g. x.astype('float32'))");
  if (fortran) bad("Fortran-order arrays are not supported: save np.ascontiguousarray(x)");
  Index count = 1;
  for (Index d : h.shape)
    if (__builtin_mul_overflow(count, d, &count) || count > (Index(1) << 56))
      bad("the header's shape has more elements than any file could hold");
  h.count = count;
  const std::uint64_t need = std::uint64_t(count) * std::uint64_t(h.itemSize);
  if (fileSize - h.dataOffset < need)
    bad("the data is shorter than its shape says (" + std::to_string(need) + " bytes expected, " +
        std::to_string(fileSize - h.dataOffset) + " present)");
  return h;
}

NpyHeader readNpyHeader(const std::string& path) {
  requireRegularFile(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "': no such file, or not readable");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(size, 12 + kMaxHeaderBytes)), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  try {
    return parseNpyHeader(head, size);
  } catch (const Error& e) {
    throw Error("cannot read '" + path + "': " + e.what());
  }
}

void writeNpyHeader(std::ostream& out, const std::string& dtype, const std::vector<Index>& shape) {
  // Magic, version 1.0, little-endian header length, then a Python dict literal padded with spaces so that the
  // data starts on a multiple of 64 bytes, ending in a newline.
  std::string dict = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i)
    dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  const auto len = static_cast<std::uint16_t>(dict.size());
  out.write("\x93NUMPY\x01\x00", 8);
  const char lenBytes[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  out.write(lenBytes, 2);
  out << dict;
}

void writeNpyFloat(const std::string& path, const std::vector<Index>& shape, const float* data) {
  Index count = 1;
  for (Index d : shape) count *= d;
  AtomicFile file(path);
  writeNpyHeader(file.stream(), "<f4", shape);
  file.stream().write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(float)));
  file.commit();
}

namespace {

// The CRC-32 of zip archives (polynomial 0xEDB88320, reflected), over `bytes` continuing from `crc`.
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0) {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (const char b : bytes) crc = table[(crc ^ static_cast<unsigned char>(b)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void putLe(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

}  // namespace

void writeNpzFloat(const std::string& path, const std::vector<NpzMember>& members) {
  struct Entry {
    std::string name;
    std::uint32_t crc = 0, size = 0, offset = 0;
  };
  std::vector<Entry> entries;
  AtomicFile file(path);
  std::uint64_t at = 0;
  for (const NpzMember& m : members) {
    Index count = 1;
    for (Index d : m.shape) count *= d;
    std::ostringstream header;
    writeNpyHeader(header, "<f4", m.shape);
    const std::string head = header.str();
    const std::string_view data(reinterpret_cast<const char*>(m.data), static_cast<std::size_t>(count) * 4);
    const std::uint64_t size = head.size() + data.size();
    if (size >= 0xFFFFFFFFull || at + size + 1024 >= 0xFFFFFFFFull)
      throw Error("cannot write '" + path + "': member '" + m.name + "' takes " + formatBytes(double(size)) +
                  ", and an .npz written here holds less than 4 GB in all; write fewer tokens or layers");
    Entry e{m.name + ".npy", crc32(data, crc32(head)), static_cast<std::uint32_t>(size),
            static_cast<std::uint32_t>(at)};
    std::string local;
    putLe(local, 0x04034b50u, 4);
    putLe(local, 20, 2);    // version needed: 2.0
    putLe(local, 0, 2);     // flags
    putLe(local, 0, 2);     // stored
    putLe(local, 0, 2);     // time
    putLe(local, 0x21, 2);  // date: 1980-01-01
    putLe(local, e.crc, 4);
    putLe(local, e.size, 4);
    putLe(local, e.size, 4);
    putLe(local, e.name.size(), 2);
    putLe(local, 0, 2);
    local += e.name;
    file.stream() << local << head;
    file.stream().write(data.data(), static_cast<std::streamsize>(data.size()));
    at += local.size() + size;
    entries.push_back(std::move(e));
  }
  std::string central;
  for (const Entry& e : entries) {
    putLe(central, 0x02014b50u, 4);
    putLe(central, 20, 2);
    putLe(central, 20, 2);
    putLe(central, 0, 2);
    putLe(central, 0, 2);
    putLe(central, 0, 2);
    putLe(central, 0x21, 2);
    putLe(central, e.crc, 4);
    putLe(central, e.size, 4);
    putLe(central, e.size, 4);
    putLe(central, e.name.size(), 2);
    putLe(central, 0, 2);  // extra
    putLe(central, 0, 2);  // comment
    putLe(central, 0, 2);  // disk
    putLe(central, 0, 2);  // internal attributes
    putLe(central, 0, 4);  // external attributes
    putLe(central, e.offset, 4);
    central += e.name;
  }
  std::string end;
  putLe(end, 0x06054b50u, 4);
  putLe(end, 0, 2);
  putLe(end, 0, 2);
  putLe(end, entries.size(), 2);
  putLe(end, entries.size(), 2);
  putLe(end, central.size(), 4);
  putLe(end, at, 4);
  putLe(end, 0, 2);
  file.stream() << central << end;
  file.commit();
}

NpyArray readNpy(const std::string& path) {
  const NpyHeader h = readNpyHeader(path);
  checkMemory(double(h.count) * 4.0, "reading '" + path + "'", "give a smaller array");
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(h.dataOffset));
  NpyArray array;
  array.shape = h.shape;
  array.data.resize(h.count);
  if (h.itemSize == 4) {
    if (!in.read(reinterpret_cast<char*>(array.data.data()), static_cast<std::streamsize>(h.count * 4)))
      throw Error("cannot read '" + path + "': the data is shorter than its shape says");
    return array;
  }
  // float16 and float64 are converted a slice at a time, never held whole in their own width.
  constexpr Index kSlice = 1 << 16;
  std::vector<char> buffer(static_cast<std::size_t>(kSlice * h.itemSize));
  for (Index at = 0; at < h.count; at += kSlice) {
    const Index m = std::min(kSlice, h.count - at);
    if (!in.read(buffer.data(), static_cast<std::streamsize>(m * h.itemSize)))
      throw Error("cannot read '" + path + "': the data is shorter than its shape says");
    for (Index i = 0; i < m; ++i) {
      if (h.itemSize == 8) {
        double d;
        std::memcpy(&d, buffer.data() + i * 8, 8);
        array.data[at + i] = static_cast<float>(d);
      } else {
        std::uint16_t half;
        std::memcpy(&half, buffer.data() + i * 2, 2);
        array.data[at + i] = halfToFloat(half);
      }
    }
  }
  return array;
}

}  // namespace attnscope
