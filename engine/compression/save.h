#pragma once
// A compressed model written out so the runtime opens it again (compress --save DIR, issue 25), in its checkpoint's
// own form:
// - a Hugging Face folder: DIR/model.safetensors holding every float tensor of the original, the linear layers' weights
//   replaced by the compressed ones (Conv1D's written back as [in, out]) in F16 or BF16 when held in half precision
//   (half the bytes), else F32; an int8 layer as the float32 values its integers and scale stand for (safetensors
//   names no per-tensor scale, and the runtime reads float weights); the other tensors in their own dtype; the
//   folder's config and tokenizer files copied beside it;
// - a llama2.c checkpoint: the same file with the linear layers' float32 values overwritten in place (its format
//   holds only float32: the values are the compressed ones, the file is not smaller), its tokenizer beside it.
// DIR must be new or empty; the files are written into a temporary folder beside it, renamed to DIR at the end, so
// nothing half-written is left.

#include <string>

#include "engine/runtime/inference.h"

namespace attnscope {

struct SavedModel {
  std::string path;  ///< what openModel opens: DIR, or DIR/<checkpoint>.bin
  double bytes = 0;  ///< the weights file's size
  std::string note;  ///< what the format could not hold as the model holds it, or ""
};

/// Writes `compressed` — a copy of `source.model` compressed with `storage` held — into `dir`. Throws Error for a
/// folder that is not new or empty, a source that is not a folder or a llama2.c file, or a failed write.
SavedModel saveCompressed(const RuntimeModel& source, LanguageModel& compressed, WeightStorage storage,
                          const std::string& dir);

}  // namespace attnscope
