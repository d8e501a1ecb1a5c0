#pragma once
// A model's own stack held against its own weights: stack layer ℓ's mask against dump layer ℓ, so that the mass
// each head keeps and the restricted rollout answer "what would my model lose with this config's sparse layers?".

#include <memory>
#include <vector>

#include "engine/masks/sparse_mask.h"
#include "engine/models/layer_stack.h"
#include "engine/util/progress.h"
#include "engine/weights/attention_dump.h"

namespace attnscope {

struct LayerMasks {
  std::vector<std::shared_ptr<const SparseMask>> byLayer;  ///< one a dump layer; equal stack layers share a mask
  std::vector<std::string> notes;                          ///< the stack's and its patterns' notes
  /// The masks as WeightsOptions::layerMasks and RolloutOptions::layerMasks take them.
  std::vector<const SparseMask*> pointers() const;
};

/// Builds the stack at the dump's n. It must have as many layers as the dump, or one (then used for every layer);
/// a stack whose layers pad n (Longformer, BigBird) must be asked for at an n it keeps. Every mask's cells are
/// counted against one memory budget before it is built. Throws Error naming what disagrees; Cancelled.
LayerMasks masksFromStack(LayerStack stack, const AttentionDump& dump, const Progress& progress = {});

}  // namespace attnscope
