#include "widgets/pattern/pattern_controls.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QLineEdit>
#include <QMenu>
#include <QRegularExpressionValidator>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <bit>
#include <climits>
#include <cmath>

#include "engine/inputs/attention_inputs.h"
#include "engine/util/error.h"
#include "engine/patterns/pattern_registry.h"
#include "widgets/shared/number_text.h"

namespace attnscope {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
// The slider's top: n = kMaxSequenceLength, a power of two.
constexpr int kMaxLog2N = std::bit_width(static_cast<std::uint64_t>(kMaxSequenceLength)) - 1;
}  // namespace

PatternControls::PatternControls(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);

  auto* familyRow = new QHBoxLayout;
  family_ = new QComboBox(this);
  family_->setObjectName(QStringLiteral("family"));
  for (const PatternFamily* f : patternFamilies()) {
    family_->addItem(q(f->name()));
    family_->setItemData(family_->count() - 1, q(f->summary()), Qt::ToolTipRole);
  }
  family_->setToolTip(QStringLiteral("Pattern family"));
  join_ = new QToolButton(this);
  join_->setText(QStringLiteral("Join +"));
  join_->setToolTip(QStringLiteral("Join another token-level family, e.g. a window plus a global CLS token"));
  join_->setPopupMode(QToolButton::InstantPopup);
  auto* joinMenu = new QMenu(join_);
  for (const PatternFamily* f : patternFamilies()) {
    if (f->isBlockFamily()) continue;
    const QString name = q(f->name());
    joinMenu->addAction(name, this, [this, name] {
      if (!joinedFamilies_.contains(name) && name != family_->currentText()) joinedFamilies_ << name;
      rebuildEditors();
      emit changed();
    });
  }
  joinMenu->addSeparator();
  joinMenu->addAction(QStringLiteral("Remove joined families"), this, [this] {
    joinedFamilies_.clear();
    rebuildEditors();
    emit changed();
  });
  join_->setMenu(joinMenu);
  familyRow->addWidget(family_, 1);
  familyRow->addWidget(join_);
  layout->addLayout(familyRow);
  joined_ = new QLabel(this);
  joined_->setWordWrap(true);
  layout->addWidget(joined_);

  paramsBox_ = new QWidget(this);
  form_ = new QFormLayout(paramsBox_);
  form_->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(paramsBox_);

  auto* nForm = new QFormLayout;
  n_ = new QSpinBox(this);
  n_->setObjectName(QStringLiteral("n"));
  n_->setRange(1, kMaxSequenceLength);
  n_->setValue(16);
  n_->setGroupSeparatorShown(true);
  n_->setToolTip(
      QStringLiteral("Sequence length n: tokens, queries and keys (1 … %1)").arg(countText(kMaxSequenceLength)));
  slider_ = new QSlider(Qt::Horizontal, this);
  slider_->setRange(1, kMaxLog2N);  // n = 2^k
  slider_->setValue(4);
  slider_->setToolTip(QStringLiteral("n in powers of two, 2 … %1").arg(countText(kMaxSequenceLength)));
  auto* nRow = new QHBoxLayout;
  nRow->addWidget(n_);
  nRow->addWidget(slider_, 1);
  nForm->addRow(QStringLiteral("n"), nRow);
  text_ = new QLineEdit(this);
  text_->setObjectName(QStringLiteral("text"));
  text_->setPlaceholderText(QStringLiteral("a sentence: its tokens label the axes"));
  text_->setToolTip(
      QStringLiteral("Tokens label the axes; n follows their count until you set n yourself. "
                     "Their embeddings (for lsh) are synthetic, not a trained model's."));
  nForm->addRow(QStringLiteral("Tokens"), text_);
  tokensHint_ = new QLabel(this);
  tokensHint_->setObjectName(QStringLiteral("tokensHint"));
  tokensHint_->setWordWrap(true);
  tokensHint_->hide();
  nForm->addRow(QString(), tokensHint_);
  layout->addLayout(nForm);

  error_ = new QLabel(this);
  error_->setObjectName(QStringLiteral("error"));
  error_->setWordWrap(true);
  error_->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
  error_->hide();
  layout->addWidget(error_);
  layout->addStretch(1);

  connect(family_, &QComboBox::currentIndexChanged, this, [this] {
    joinedFamilies_.removeAll(family_->currentText());
    rebuildEditors();
    if (!quiet_) emit changed();
  });
  connect(n_, &QSpinBox::valueChanged, this, [this](int v) {
    if (quiet_) return;
    setN(v, true);
    emit changed();
  });
  connect(slider_, &QSlider::valueChanged, this, [this](int k) {
    if (quiet_) return;
    setN(Index(1) << k, true);
    emit changed();
  });
  connect(text_, &QLineEdit::textChanged, this, [this](const QString& t) {
    if (quiet_) return;
    if (!nByHand_ && !t.trimmed().isEmpty()) setN(static_cast<Index>(tokenize(t.toStdString()).size()), false);
    updateTokensHint();
    emit changed();
  });
  rebuildEditors();
}

void PatternControls::setN(Index n, bool byUser) {
  n = std::clamp<Index>(n, 1, kMaxSequenceLength);
  if (byUser) nByHand_ = true;
  const bool was = quiet_;
  quiet_ = true;
  n_->setValue(static_cast<int>(n));
  slider_->setValue(std::clamp(static_cast<int>(std::lround(std::log2(double(n)))), 1, kMaxLog2N));
  quiet_ = was;
  updateTokensHint();
}

void PatternControls::updateTokensHint() {
  const QString sentence = text_->text().trimmed();
  const Index count = sentence.isEmpty() ? 0 : static_cast<Index>(tokenize(sentence.toStdString()).size());
  const Index n = n_->value();
  tokensHint_->setVisible(count > 0 && count != n);
  if (count > 0 && count != n)
    tokensHint_->setText(QStringLiteral("The sentence has %1 and n = %2, so its words do not label the axes: "
                                        "set n to %3 to see them.")
                             .arg(countedText(count, "token", "tokens"), countText(n), countText(count)));
}

QString PatternControls::patternName() const {
  QStringList parts{family_->currentText()};
  parts << joinedFamilies_;
  return parts.join(QLatin1Char('+'));
}

namespace {
// An editor's value as a user would type it.
QString editorText(const QWidget* w) {
  if (auto* s = qobject_cast<const QSpinBox*>(w)) return QString::number(s->value());
  if (auto* c = qobject_cast<const QCheckBox*>(w))
    return c->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
  if (auto* b = qobject_cast<const QComboBox*>(w)) return b->currentText();
  if (auto* e = qobject_cast<const QLineEdit*>(w)) return e->text().trimmed();
  return {};
}
}  // namespace

void PatternControls::storeEditors() {
  for (auto it = editors_.begin(); it != editors_.end(); ++it) values_[it.key()] = editorText(it.value());
}

void PatternControls::rebuildEditors() {
  storeEditors();
  while (form_->rowCount() > 0) form_->removeRow(0);
  editors_.clear();
  const bool block = findFamily(family_->currentText().toStdString()) &&
                     findFamily(family_->currentText().toStdString())->isBlockFamily();
  join_->setEnabled(!block);
  if (block) joinedFamilies_.clear();
  joined_->setText(joinedFamilies_.isEmpty() ? QString() : QStringLiteral("Pattern: <b>%1</b>").arg(patternName()));
  joined_->setVisible(!joinedFamilies_.isEmpty());
  PatternSpec spec;
  try {
    spec = PatternSpec::parse(patternName().toStdString());
  } catch (const Error& e) {
    showError(q(e.what()));
    return;
  }
  const bool was = quiet_;
  quiet_ = true;
  for (const ParamSpec& p : spec.params()) {
    const QString name = q(p.name);
    const QString value = values_.value(name, q(p.defaultText));
    const QString tip =
        q(p.help) + QStringLiteral("\nAllowed: ") + q(p.allowed()) + QStringLiteral("\nDefault: ") + q(p.defaultText);
    QWidget* editor = nullptr;
    switch (p.type) {
      case ParamType::Int: {
        auto* s = new QSpinBox(paramsBox_);
        s->setRange(static_cast<int>(p.min), static_cast<int>(std::min<Index>(p.max, INT_MAX)));
        s->setValue(value.toInt());
        s->setGroupSeparatorShown(true);
        connect(s, &QSpinBox::valueChanged, this, [this] {
          if (!quiet_) emit changed();
        });
        editor = s;
        break;
      }
      case ParamType::Bool: {
        auto* c = new QCheckBox(paramsBox_);
        c->setChecked(value == QStringLiteral("true"));
        connect(c, &QCheckBox::toggled, this, [this] {
          if (!quiet_) emit changed();
        });
        editor = c;
        break;
      }
      case ParamType::Choice: {
        auto* b = new QComboBox(paramsBox_);
        for (const auto& choice : p.choices) b->addItem(q(choice));
        b->setCurrentText(value);
        connect(b, &QComboBox::currentIndexChanged, this, [this] {
          if (!quiet_) emit changed();
        });
        editor = b;
        break;
      }
      case ParamType::IntList: {
        auto* e = new QLineEdit(value, paramsBox_);
        e->setValidator(new QRegularExpressionValidator(
            QRegularExpression(QStringLiteral("^\\s*(none|\\d+(\\s*,\\s*\\d+)*\\s*,?)?\\s*$")), e));
        e->setPlaceholderText(QStringLiteral("e.g. 0,7 or none"));
        connect(e, &QLineEdit::textChanged, this, [this] {
          if (!quiet_) emit changed();
        });
        editor = e;
        break;
      }
    }
    editor->setObjectName(name);
    editor->setToolTip(tip);
    editors_[name] = editor;
    form_->addRow(name, editor);
  }
  quiet_ = was;
}

QWidget* PatternControls::editor(const QString& param) const { return editors_.value(param, nullptr); }

PatternChoice PatternControls::choice() const {
  PatternChoice c;
  c.pattern = patternName();
  c.n = n_->value();
  c.text = text_->text();
  // Only values that differ from the defaults are listed, so titles stay short.
  PatternSpec spec;
  try {
    spec = PatternSpec::parse(c.pattern.toStdString());
  } catch (const Error&) {
    return c;
  }
  for (const ParamSpec& p : spec.params()) {
    QWidget* w = editors_.value(q(p.name));
    const QString v = editorText(w);
    if (!w || v == q(p.defaultText)) continue;
    c.params.append({q(p.name), v});
  }
  return c;
}

void PatternControls::setChoice(const PatternChoice& c) {
  quiet_ = true;
  // The old editors go first: changing the family rebuilds the editors, which would store the old family's values
  // (a window's causal=false, BigBird's num_heads) over the defaults of a parameter the new family shares.
  editors_.clear();
  while (form_->rowCount() > 0) form_->removeRow(0);
  const QStringList parts = c.pattern.split(QLatin1Char('+'));
  values_.clear();  // every parameter the choice leaves out takes its default
  for (const auto& [k, v] : c.params) values_[k] = v;
  joinedFamilies_ = parts.mid(1);
  family_->setCurrentText(parts.value(0));
  rebuildEditors();
  text_->setText(c.text);
  // n follows the sentence's token count until the user sets n; a preset whose n differs from its sentence's
  // count has set n itself.
  nByHand_ = !c.text.trimmed().isEmpty() && static_cast<Index>(tokenize(c.text.toStdString()).size()) != c.n;
  setN(c.n, false);
  quiet_ = false;
  emit changed();
}

void PatternControls::showError(const QString& message) {
  error_->setText(message);
  error_->setVisible(!message.isEmpty());
}

QString PatternControls::errorText() const { return error_->isVisible() ? error_->text() : QString(); }

}  // namespace attnscope
