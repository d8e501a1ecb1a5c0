#pragma once
// NumPy .npy files: reading float32/float64 arrays (C order) and writing float32 and uint8 ones.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "engine/default_init.h"
#include "engine/types.h"

namespace attnscope {

struct NpyArray {
  std::vector<Index> shape;
  BigVector<float> data;  ///< converted to float32, C order
};

/// Reads a float32 or float64 array. Throws Error naming the file: not .npy, another dtype, Fortran order, short.
NpyArray readNpy(const std::string& path);

/// Writes the NPY 1.0 header for a C-order array of `dtype` ('<f4', '|u1', …) and `shape`.
void writeNpyHeader(std::ostream& out, const std::string& dtype, const std::vector<Index>& shape);

/// Writes a float32 array all-or-nothing.
void writeNpyFloat(const std::string& path, const std::vector<Index>& shape, const float* data);

}  // namespace attnscope
