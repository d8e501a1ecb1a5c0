#pragma once
// The controls that pick a pattern, built from the registry's parameter descriptions: a family picker with a menu
// to join token-level families, an editor per parameter (spin box with its range, check box, choice list, a
// validated list of token indices) with its help as tooltip, the sequence length n (box and logarithmic slider),
// a sentence whose tokens label the axes, and an inline message line for errors.

#include <QMap>
#include <QWidget>

#include "widgets/pattern/pattern_choice.h"

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSlider;
class QSpinBox;
class QToolButton;

namespace attnscope {

class PatternControls : public QWidget {
  Q_OBJECT
 public:
  explicit PatternControls(QWidget* parent = nullptr);

  PatternChoice choice() const;
  /// Sets every control (from a preset or the last session) and emits changed() once.
  void setChoice(const PatternChoice& choice);
  /// Shows a message under the controls (empty hides it).
  void showError(const QString& message);
  QString errorText() const;

  // For tests and the main window.
  QWidget* editor(const QString& param) const;
  QComboBox* familyBox() const { return family_; }
  QSpinBox* nBox() const { return n_; }
  QSlider* nSlider() const { return slider_; }
  QLineEdit* textField() const { return text_; }
  QToolButton* joinButton() const { return join_; }

 signals:
  void changed();

 private:
  /// Shows or hides the line under the sentence: its token count against n.
  void updateTokensHint();
  void rebuildEditors();
  void storeEditors();
  void setN(Index n, bool byUser);
  QString patternName() const;

  QComboBox* family_ = nullptr;
  QToolButton* join_ = nullptr;
  QLabel* joined_ = nullptr;
  QStringList joinedFamilies_;
  QFormLayout* form_ = nullptr;
  QWidget* paramsBox_ = nullptr;
  QSpinBox* n_ = nullptr;
  QSlider* slider_ = nullptr;
  QLineEdit* text_ = nullptr;
  QLabel* error_ = nullptr;
  QLabel* tokensHint_ = nullptr;  ///< says so when the sentence's token count is not n
  QMap<QString, QWidget*> editors_;
  QMap<QString, QString> values_;  ///< every value the user set, kept across family changes
  bool nByHand_ = false;
  bool quiet_ = false;  ///< while setting controls programmatically
};

}  // namespace attnscope
