#pragma once
// File → Export pattern as code…: the pattern on screen (or the model's stack, or the fitted heads) written for
// training code — a FlexAttention mask_mod file, DeepSpeed's SparsityConfig as Python or JSON, Hugging Face config
// fields, or the mask and block layout as .npy — with a preview of the text, Copy and Save…. The text is made on the
// TaskRunner; a format the pattern cannot take says why inline.

#include <QDialog>

#include <memory>
#include <optional>

#include "engine/codegen/fitted_model.h"
#include "engine/models/layer_stack.h"
#include "engine/masks/sparse_mask.h"
#include "widgets/pattern/pattern_choice.h"

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace attnscope {

class TaskRunner;

class ExportCodeDialog : public QDialog {
  Q_OBJECT
 public:
  enum Format { Flex, DeepSpeedPython, DeepSpeedJson, HfConfig, MaskNpy, LayoutNpy };
  enum Source { ThePattern, TheStack, TheFits };

  /// `stack`: the model's stack, offered as a source when it has layers; `fitted`: the Real attention tab's fitted
  /// heads, offered when there are some.
  ExportCodeDialog(PatternChoice pattern, std::optional<LayerStack> stack,
                   std::optional<codegen::FittedModel> fitted = std::nullopt, QWidget* parent = nullptr);
  ~ExportCodeDialog() override;

  QComboBox* sourceBox() const { return source_; }
  QComboBox* formatBox() const { return format_; }
  QPlainTextEdit* preview() const { return preview_; }
  QLabel* message() const { return message_; }
  QPushButton* copyButton() const { return copy_; }
  QPushButton* saveButton() const { return save_; }
  TaskRunner* runner() const { return runner_; }
  /// The whole text of a code format (the preview may show only its start); empty while it is made or refused.
  const QString& text() const { return text_; }
  /// Writes what the format makes to `path`, all or nothing; false with the reason shown inline.
  bool saveTo(const QString& path);
  /// The file name Save… suggests: "window-radius-2.py".
  QString suggestedName() const;

 private:
  void refresh();
  Format format() const;
  Source source() const;

  PatternChoice pattern_;
  std::optional<LayerStack> stack_;
  std::optional<codegen::FittedModel> fitted_;
  QComboBox* source_;
  QComboBox* format_;
  QPlainTextEdit* preview_;
  QLabel* message_;
  QPushButton* copy_;
  QPushButton* save_;
  TaskRunner* runner_;
  QString text_;
  std::shared_ptr<const SparseMask> mask_;  // the .npy formats: built once, written on Save
};

}  // namespace attnscope
