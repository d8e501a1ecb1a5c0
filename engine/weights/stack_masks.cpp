#include "engine/weights/stack_masks.h"

#include "engine/masks/pattern.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

std::vector<const SparseMask*> LayerMasks::pointers() const {
  std::vector<const SparseMask*> out;
  for (const auto& m : byLayer) out.push_back(m.get());
  return out;
}

LayerMasks masksFromStack(LayerStack stack, const AttentionDump& dump, const Progress& progress) {
  const auto count = static_cast<Index>(stack.layers.size());
  if (count != 1 && count != dump.layers())
    throw Error("the stack has " + std::to_string(count) + " layers but the weights have " +
                std::to_string(dump.layers()) +
                ": give a stack of as many layers (layer ℓ is held against layer ℓ), "
                "or of one layer for every layer");
  stack.n = dump.n();
  const std::vector<MadeLayer> made = makeLayers(stack, progress.part(0.0, 0.2));
  LayerMasks out;
  out.notes = stack.notes;
  Index budget = maskCellLimit();
  std::vector<std::shared_ptr<const SparseMask>> distinct(made.size());
  for (std::size_t i = 0; i < made.size(); ++i) {
    const auto first = static_cast<std::size_t>(made[i].distinct);
    if (!distinct[first]) {
      const Pattern& pattern = *made[i].pattern;
      if (pattern.n() != dump.n())
        throw Error("layer " + std::to_string(i) + " (" + stack.layers[i].describe() +
                    ") pads n = " + withSeparators(dump.n()) + " to " + withSeparators(pattern.n()) +
                    ": the weights must have a length the model keeps as it is");
      for (const std::string& note : pattern.notes()) out.notes.push_back("layer " + std::to_string(i) + ": " + note);
      BuildOptions options;
      options.maxCells = budget;
      try {
        distinct[first] = std::make_shared<const SparseMask>(
            buildMask(pattern, options,
                      progress.part(0.2 + 0.8 * double(i) / double(made.size()),
                                    0.2 + 0.8 * double(i + 1) / double(made.size()))));
      } catch (const Cancelled&) {
        throw;
      } catch (const Error& e) {
        throw Error("layer " + std::to_string(i) + ": " + e.what());
      }
      budget -= static_cast<Index>(distinct[first]->memoryBytes() / 4);
    }
    dump.checkMask(distinct[first]->n(), distinct[first]->heads());
    distinct[i] = distinct[first];
  }
  for (Index l = 0; l < dump.layers(); ++l)
    out.byLayer.push_back(distinct[count == 1 ? 0 : static_cast<std::size_t>(l)]);
  return out;
}

}  // namespace attnscope
