#include "engine/codegen/fitted_model.h"

#include <algorithm>
#include <map>

#include "engine/codegen/flex_attention.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope::codegen {

FittedModel fittedModel(const std::vector<std::vector<HeadFit>>& fits, Index n, Index fromLayer, double keep,
                        std::string source) {
  if (fits.empty() || fits[0].empty()) throw Error("there are no fitted heads to export: fit the heads first");
  FittedModel m;
  m.source = std::move(source);
  m.n = n;
  m.fromLayer = fromLayer;
  m.keep = keep;
  for (const auto& layer : fits) {
    std::vector<FitCandidate> heads;
    for (const HeadFit& f : layer) heads.push_back(f.best);
    m.heads.push_back(std::move(heads));
  }
  return m;
}

namespace {

std::string paramOf(const FitCandidate& c, const std::string& key, const std::string& def) {
  for (const auto& [k, v] : c.params)
    if (k == key) return v;
  return def;
}

}  // namespace

LayerStack coveringStack(const FittedModel& model) {
  LayerStack stack;
  stack.name = "fitted heads of " + model.source + " (each layer covering its heads)";
  stack.n = model.n;
  for (std::size_t l = 0; l < model.heads.size(); ++l) {
    bool full = false, causalFull = false, bidirectional = false, global = false, differ = false;
    Index radius = 0;
    for (const FitCandidate& c : model.heads[l]) {
      differ = differ || c.text() != model.heads[l][0].text();
      if (c.pattern == "full") full = true;
      if (c.pattern == "causal") causalFull = true;
      if (c.pattern == "window" || c.pattern == "window+global") {
        radius = std::max<Index>(radius, std::stoll(paramOf(c, "radius", "0")));
        bidirectional = bidirectional || paramOf(c, "causal", "false") != "true";
        global = global || c.pattern == "window+global";
      }
    }
    StackLayer layer;
    if (full || (causalFull && bidirectional)) {
      layer = {"full", {}, "full"};
    } else if (causalFull) {
      layer = global ? StackLayer{"causal+global", {{"tokens", "0"}}, ""} : StackLayer{"causal", {}, "full"};
    } else {
      layer.pattern = global ? "window+global" : "window";
      layer.params = {{"radius", std::to_string(radius)}, {"causal", bidirectional ? "false" : "true"}};
      if (global) layer.params.emplace_back("tokens", "0");
      layer.kind = "sliding";
    }
    if (differ)
      stack.notes.push_back("layer " + std::to_string(model.fromLayer + static_cast<Index>(l)) +
                            ": its heads' fits differ; " + layer.describe() + " holds them all");
    stack.layers.push_back(std::move(layer));
  }
  return stack;
}

HfConfigFields hfConfigFieldsForFits(const FittedModel& model) {
  LayerStack covering = coveringStack(model);
  covering.dims.heads = covering.dims.keyValueHeads = static_cast<Index>(model.heads[0].size());
  HfConfigFields fields = hfConfigFields(covering);
  fields.notes.insert(fields.notes.begin(), covering.notes.begin(), covering.notes.end());
  return fields;
}

std::string flexAttentionFitCode(const FittedModel& model, const Progress& progress) {
  // Each layer's distinct fits become functions (fit_k); fitted_layer_l picks among them by head.
  LayerStack parts;
  parts.name = "fitted heads";
  parts.n = model.n;
  std::vector<std::vector<std::pair<std::string, std::vector<int>>>> groups;  // [layer] (fit text, heads)
  for (const auto& layer : model.heads) {
    std::vector<std::pair<std::string, std::vector<int>>> g;
    for (std::size_t h = 0; h < layer.size(); ++h) {
      auto it = std::find_if(g.begin(), g.end(), [&](const auto& e) { return e.first == layer[h].text(); });
      if (it == g.end()) {
        g.push_back({layer[h].text(), {}});
        it = g.end() - 1;
        parts.layers.push_back({layer[h].pattern, layer[h].params, ""});
      }
      it->second.push_back(static_cast<int>(h));
    }
    groups.push_back(std::move(g));
  }
  parts.name = "the distinct fits of " + model.source + "'s heads";
  const std::string code = flexAttentionParts(parts, "fit", progress);
  std::string layers, list;
  std::size_t part = 0;
  for (std::size_t l = 0; l < groups.size(); ++l) {
    const Index index = model.fromLayer + static_cast<Index>(l);
    std::string body;
    for (const auto& group : groups[l]) {
      const auto& heads = group.second;
      std::string which;
      for (int h : heads) which += std::string(which.empty() ? "" : " | ") + "(h == " + std::to_string(h) + ")";
      if (heads.size() > 1) which = "(" + which + ")";
      if (!body.empty()) body += "\n        | ";
      body += groups[l].size() == 1 ? "fit_" + std::to_string(part) + "(b, h, q_idx, kv_idx)"
                                    : "(" + which + " & fit_" + std::to_string(part) + "(b, h, q_idx, kv_idx))";
      ++part;
    }
    layers += "def fitted_layer_" + std::to_string(index) + "(b, h, q_idx, kv_idx):\n    \"\"\"Layer " +
              std::to_string(index) + ": each head through its own fitted pattern.\"\"\"\n    return (\n        " +
              body + "\n    )\n\n\n";
    list += "    fitted_layer_" + std::to_string(index) + ",\n";
  }
  std::string header =
      "# Fitted heads of " + model.source + ": each head of layers " + std::to_string(model.fromLayer) + " … " +
      std::to_string(model.fromLayer + static_cast<Index>(model.heads.size()) - 1) +
      " through the cheapest pattern keeping " + std::to_string(static_cast<int>(100 * model.keep + 0.5)) +
      "% of its attention (attnscope weights/fit).\n# fit_k are the distinct fits; MASK_MODS[l] is fitted layer l's "
      "mask_mod, choosing among them by head h.\n\n";
  return header + code + layers + "MASK_MODS = [\n" + list +
         "]\n\n# Usage, one block mask a layer (its heads differ, so H is the model's head count):\n"
         "# from torch.nn.attention.flex_attention import create_block_mask, flex_attention\n"
         "# block_masks = [create_block_mask(m, B=None, H=" +
         std::to_string(model.heads[0].size()) + ", Q_LEN=N, KV_LEN=N, device='cuda') for m in MASK_MODS]\n";
}

}  // namespace attnscope::codegen
