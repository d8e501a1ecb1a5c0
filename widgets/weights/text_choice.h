#pragma once
// The text a measuring page of the Real attention tab reads (What it costs, Compress, Distil), chosen in one box:
// "the text above" (what the tab's model was given), the shipped samples, and, where the page offers it, a UTF-8
// file of the user's (at most 1 MB).

#include <QComboBox>

#include <functional>
#include <optional>
#include <string>

#include "engine/runtime/inference.h"

namespace attnscope {

class TextChoice : public QComboBox {
 public:
  /// Opens on the first sample (a story long enough to show a trade-off); the text above is a choice away.
  /// `withFile` adds "a text file…", which asks for a file when chosen.
  TextChoice(const QString& objectName, bool withFile, QWidget* parent = nullptr);

  /// Where the text above comes from.
  void setTextAbove(std::function<QString()> above) { above_ = std::move(above); }
  /// Where a file that cannot be read says so (the page's message line).
  void setOnProblem(std::function<void(const QString&)> onProblem) { onProblem_ = std::move(onProblem); }
  /// "" chooses the text above, a sample's name that sample; false for another name.
  bool setSample(const QString& name);
  /// Reads a text file and chooses it; false, with the reason given to onProblem, when it cannot be read.
  bool setFile(const QString& path);
  bool aboveChosen() const { return currentIndex() == 0; }

  /// The chosen text, a sample's [MASK]s written as `model`'s own mask token; nothing, with the reason given to
  /// onProblem, for a sample missing from the build or a file not chosen yet.
  std::optional<std::string> chosen(const RuntimeModel* model) const;

  /// The shipped samples, by name ("The red kite", …): stories, and sentences with masked words.
  static QStringList sampleNames();
  /// A shipped sample's text with `model`'s mask token; nothing for another name or a sample missing from the build.
  static std::optional<QString> sampleText(const QString& name, const RuntimeModel* model);

 private:
  void problem(const QString& text) const {
    if (onProblem_) onProblem_(text);
  }
  bool withFile_;
  std::function<QString()> above_;
  std::function<void(const QString&)> onProblem_;
  QString filePath_;
  std::string fileText_;
};

}  // namespace attnscope
