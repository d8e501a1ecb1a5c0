#pragma once
// NumPy .npy files: reading float arrays (C order, little-endian float16/32/64) and writing float32 and uint8 ones.
// The header is checked against the file before a byte of data is trusted: the magic and version, the header
// length against the file's size, the dtype, byte order and memory order, the shape's product (without overflow)
// against the bytes actually present, and the memory the array will take against the limits.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "engine/util/default_init.h"
#include "engine/util/types.h"

namespace attnscope {

/// What a .npy header says, once it has been checked against the file.
struct NpyHeader {
  std::vector<Index> shape;
  int itemSize = 0;  ///< 2, 4 or 8 (float16, float32, float64)
  Index count = 0;   ///< the product of the shape
  std::uint64_t dataOffset = 0;
  std::uint64_t fileSize = 0;
};

struct NpyArray {
  std::vector<Index> shape;
  BigVector<float> data;  ///< converted to float32, C order
};

/// Parses and checks a header held in memory (the first bytes of a file of `fileSize` bytes). Throws Error with
/// the reason (without a file name); used by readNpyHeader and by the fuzz harness.
NpyHeader parseNpyHeader(std::string_view bytes, std::uint64_t fileSize);

/// Reads and checks the header of a regular file (a FIFO, folder or device is refused). Throws Error naming it.
NpyHeader readNpyHeader(const std::string& path);

/// Reads a float16, float32 or float64 array after its header passed, and after checking the memory it needs.
/// Throws Error naming the file.
NpyArray readNpy(const std::string& path);

/// float16 bits to float (zero, subnormals, infinities and NaN included).
float halfToFloat(std::uint16_t h);
/// A float as float16 bits, rounded to nearest even: ±∞ from 65,520 on, subnormals below 2^-14, NaN kept quiet.
std::uint16_t floatToHalf(float value);
/// A float as bfloat16 bits (float32's top half), rounded to nearest even; NaN kept quiet.
std::uint16_t floatToBfloat16(float value);
float bfloat16ToFloat(std::uint16_t bits);
/// `count` float16 values (little-endian, any alignment) to float, eight at a time where the CPU has F16C.
void halfToFloat(const unsigned char* in, float* out, Index count);

/// Writes the NPY 1.0 header for a C-order array of `dtype` ('<f4', '|u1', …) and `shape`.
void writeNpyHeader(std::ostream& out, const std::string& dtype, const std::vector<Index>& shape);

/// Writes a float32 array all-or-nothing.
void writeNpyFloat(const std::string& path, const std::vector<Index>& shape, const float* data);

/// One float32 array of an .npz archive: its member name (without ".npy"), shape and data (count = the shape's
/// product).
struct NpzMember {
  std::string name;
  std::vector<Index> shape;
  const float* data = nullptr;
};
/// Writes an uncompressed .npz (what np.savez writes: a zip archive of .npy members, stored), all or nothing.
/// Throws Error for a member of 4 GB or more (the archive is not zip64).
void writeNpzFloat(const std::string& path, const std::vector<NpzMember>& members);

}  // namespace attnscope
