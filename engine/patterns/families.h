#pragma once
// One accessor per family; each lives in its own file. The registry lists them.

#include "engine/masks/pattern_family.h"

namespace attnscope {

const PatternFamily& fullFamily();
const PatternFamily& causalFamily();
const PatternFamily& windowFamily();
const PatternFamily& globalFamily();
const PatternFamily& randomFamily();
const PatternFamily& blocksFamily();
const PatternFamily& stridedFamily();
const PatternFamily& fixedFamily();
const PatternFamily& hfLongformerFamily();
const PatternFamily& hfBigBirdFamily();
const PatternFamily& deepspeedFixedFamily();
const PatternFamily& deepspeedVariableFamily();
const PatternFamily& deepspeedBigBirdFamily();
const PatternFamily& deepspeedBSLongformerFamily();
const PatternFamily& deepspeedLocalFamily();
const PatternFamily& lshFamily();
const PatternFamily& topkFamily();
const PatternFamily& routingFamily();

}  // namespace attnscope
