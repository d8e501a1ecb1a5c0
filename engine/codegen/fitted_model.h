#pragma once
// A fitted model written for training code: every head of every layer through the pattern weights/fit chose for
// it. FlexAttention can say each head's own pattern exactly (mask_mod picks it by h); a config.json has one kind of
// attention a layer, so what it gets is the covering stack: each layer the narrowest pattern of the fit's kinds that
// holds all its heads' fitted masks (the widest window among them, causal only when all of them are), said so.

#include <string>
#include <vector>

#include "engine/codegen/hf_config_fields.h"
#include "engine/models/layer_stack.h"
#include "engine/util/progress.h"
#include "engine/weights/fit.h"

namespace attnscope::codegen {

struct FittedModel {
  std::string source;  ///< the dump the fits come from, for headers
  Index n = 0;
  Index fromLayer = 0;                           ///< the first fitted layer's index in the model
  double keep = 0.9;                             ///< the share each head's fit keeps
  std::vector<std::vector<FitCandidate>> heads;  ///< [layer − fromLayer][head]: each head's best fit
};

/// The best fits of fitPatterns' result. Throws Error when there are none.
FittedModel fittedModel(const std::vector<std::vector<HeadFit>>& fits, Index n, Index fromLayer, double keep,
                        std::string source);

/// One mask_mod a layer (MASK_MODS), each head's own fitted pattern chosen by h; exact. Throws Error, Cancelled.
std::string flexAttentionFitCode(const FittedModel& model, const Progress& progress = {});

/// The covering stack (see above), with one note a layer whose heads' fits differ.
LayerStack coveringStack(const FittedModel& model);
/// The covering stack's Hugging Face fields, its notes first, with the model's head count.
HfConfigFields hfConfigFieldsForFits(const FittedModel& model);

}  // namespace attnscope::codegen
