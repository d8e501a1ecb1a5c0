#include "widgets/pattern/export_code_dialog.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include <algorithm>

#include "engine/codegen/deepspeed_config.h"
#include "engine/codegen/flex_attention.h"
#include "engine/codegen/hf_config_fields.h"
#include "engine/io/atomic_file.h"
#include "engine/masks/mask_io.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

namespace {

// The preview shows a file's start: a lookup table can be megabytes of base64.
constexpr int kPreviewLines = 400;

QString previewOf(const QString& text) {
  int at = 0;
  for (int line = 0; line < kPreviewLines; ++line) {
    at = text.indexOf(QLatin1Char('\n'), at);
    if (at < 0) return text;
    ++at;
  }
  const qsizetype rest = text.count(QLatin1Char('\n'), Qt::CaseSensitive) - kPreviewLines;
  return text.left(at) + QStringLiteral("… %1 more lines: Copy and Save… take the whole file.").arg(rest);
}

}  // namespace

ExportCodeDialog::ExportCodeDialog(PatternChoice pattern, std::optional<LayerStack> stack,
                                   std::optional<codegen::FittedModel> fitted, QWidget* parent)
    : QDialog(parent),
      pattern_(std::move(pattern)),
      stack_(std::move(stack)),
      fitted_(std::move(fitted)),
      source_(new QComboBox),
      format_(new QComboBox),
      preview_(new QPlainTextEdit),
      message_(new QLabel),
      copy_(new QPushButton(QStringLiteral("&Copy"))),
      save_(new QPushButton(QStringLiteral("&Save…"))),
      runner_(new TaskRunner(this)) {
  setWindowTitle(QStringLiteral("Export pattern as code"));
  source_->addItem(QStringLiteral("The pattern: ") + pattern_.title(), ThePattern);
  if (stack_ && !stack_->layers.empty())
    source_->addItem(QStringLiteral("The model's stack: %1 (%2 layers, n = %3)")
                         .arg(QString::fromStdString(stack_->name))
                         .arg(stack_->layers.size())
                         .arg(QString::fromStdString(withSeparators(stack_->n))),
                     TheStack);
  if (fitted_ && !fitted_->heads.empty())
    source_->addItem(QStringLiteral("The fitted heads: %1 layers × %2 heads, each keeping %3% (n = %4)")
                         .arg(fitted_->heads.size())
                         .arg(fitted_->heads[0].size())
                         .arg(qRound(100 * fitted_->keep))
                         .arg(QString::fromStdString(withSeparators(fitted_->n))),
                     TheFits);
  format_->addItem(QStringLiteral("PyTorch FlexAttention: mask_mod (.py)"), Flex);
  format_->addItem(QStringLiteral("DeepSpeed SparsityConfig (.py)"), DeepSpeedPython);
  format_->addItem(QStringLiteral("DeepSpeed SparsityConfig (.json)"), DeepSpeedJson);
  format_->addItem(QStringLiteral("Hugging Face config fields (.json)"), HfConfig);
  format_->addItem(QStringLiteral("The mask as data: uint8 [heads, n, n] (.npy)"), MaskNpy);
  format_->addItem(QStringLiteral("The block layout: uint8 [heads, n/block, n/block] (.npy)"), LayoutNpy);
  // A DeepSpeed pattern opens on its own format; everything else on FlexAttention's.
  if (pattern_.pattern.startsWith(QStringLiteral("deepspeed-"))) format_->setCurrentIndex(1);

  preview_->setReadOnly(true);
  preview_->setLineWrapMode(QPlainTextEdit::NoWrap);
  preview_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  preview_->setMinimumSize(560, 240);
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* form = new QFormLayout;
  form->addRow(QStringLiteral("Export"), source_);
  form->addRow(QStringLiteral("Format"), format_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
  buttons->addButton(copy_, QDialogButtonBox::ActionRole);
  buttons->addButton(save_, QDialogButtonBox::ActionRole);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(preview_, 1);
  layout->addWidget(message_);
  layout->addWidget(buttons);

  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(source_, &QComboBox::currentIndexChanged, this, &ExportCodeDialog::refresh);
  connect(format_, &QComboBox::currentIndexChanged, this, &ExportCodeDialog::refresh);
  connect(copy_, &QPushButton::clicked, this, [this] {
    QApplication::clipboard()->setText(text_);
    message_->setStyleSheet(QString());
    message_->setText(QStringLiteral("Copied: %1 lines.").arg(text_.count(QLatin1Char('\n'))));
  });
  connect(save_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save the export"), suggestedName());
    if (!path.isEmpty()) saveTo(path);
  });
  connect(runner_, &TaskRunner::failed, this, [this](const QString& why) {
    preview_->clear();
    message_->setStyleSheet(QStringLiteral("color: #b00020;"));
    message_->setText(why);
  });
  // Room for a file's lines: most of the window it belongs to, or of a projector's screen.
  const QSize room = parent ? parent->size() : QSize(1280, 720);
  resize(std::max(640, room.width() * 3 / 4), std::max(420, room.height() * 4 / 5));
  refresh();
}

ExportCodeDialog::~ExportCodeDialog() = default;

ExportCodeDialog::Format ExportCodeDialog::format() const {
  return static_cast<Format>(format_->currentData().toInt());
}

ExportCodeDialog::Source ExportCodeDialog::source() const {
  return static_cast<Source>(source_->currentData().toInt());
}

QString ExportCodeDialog::suggestedName() const {
  const Source from = source();
  QString base = from == TheStack  ? QStringLiteral("stack")
                 : from == TheFits ? QStringLiteral("fitted-heads")
                                   : pattern_.pattern;
  if (from == ThePattern)
    for (const auto& [key, value] : pattern_.params) base += QLatin1Char('-') + key + QLatin1Char('-') + value;
  base.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("-"));
  switch (format()) {
    case Flex: return base + QStringLiteral("-flex.py");
    case DeepSpeedPython: return base + QStringLiteral("-deepspeed.py");
    case DeepSpeedJson: return base + QStringLiteral("-deepspeed.json");
    case HfConfig: return base + QStringLiteral("-config-fields.json");
    case MaskNpy: return base + QStringLiteral("-mask.npy");
    case LayoutNpy: return base + QStringLiteral("-layout.npy");
  }
  return base;
}

void ExportCodeDialog::refresh() {
  text_.clear();
  mask_.reset();
  copy_->setEnabled(false);
  save_->setEnabled(false);
  message_->setStyleSheet(QString());
  message_->setText(QStringLiteral("Writing…"));
  preview_->clear();
  const Format f = format();
  const Source from = source();
  const PatternChoice pattern = pattern_;
  const std::optional<LayerStack> layers = from == TheStack ? stack_ : std::nullopt;
  const std::optional<codegen::FittedModel> fitted = from == TheFits ? fitted_ : std::nullopt;
  runner_->start([this, f, pattern, layers, fitted](const TaskRunner::Context& context) -> std::function<void()> {
    const Progress& progress = context.progress();
    std::string text, note;
    std::shared_ptr<const SparseMask> mask;
    if (fitted) {
      if (f == Flex) {
        text = codegen::flexAttentionFitCode(*fitted, progress);
      } else if (f == HfConfig) {
        text = codegen::hfConfigJson(codegen::hfConfigFieldsForFits(*fitted));
      } else {
        throw Error(
            "fitted heads are written as FlexAttention (each head exactly) or Hugging Face config fields "
            "(each layer covering its heads): choose one of those");
      }
    } else if (layers) {
      if (f == Flex)
        text = codegen::flexAttentionStackCode(*layers, progress);
      else if (f == HfConfig)
        text = codegen::hfConfigJson(codegen::hfConfigFields(*layers));
      else
        throw Error(
            "a stack is written as FlexAttention or Hugging Face config fields: choose one of those, or "
            "export the pattern");
    } else {
      const CheckedPattern checked = checkChoice(pattern);
      const std::optional<AttentionInputs> inputs = choiceInputs(pattern);
      switch (f) {
        case Flex: text = codegen::flexAttentionCode(checked, inputs ? &*inputs : nullptr, progress); break;
        case DeepSpeedPython: text = codegen::deepspeedPython(checked, progress); break;
        case DeepSpeedJson: text = codegen::deepspeedJson(checked); break;
        case HfConfig: text = codegen::hfConfigJson(codegen::hfConfigFieldsForPattern(checked)); break;
        case MaskNpy:
        case LayoutNpy: {
          const auto made = checked.make(inputs ? &*inputs : nullptr, progress.part(0.0, checked.makeShare()));
          if (f == LayoutNpy && !made->blockLayout())
            throw Error("pattern '" + attnscope::quoted(checked.spec().name()) +
                        "' has no block layout (block families and 'blocks' do): the mask itself is the other .npy");
          const double n = double(checked.n());
          if (f == MaskNpy) checkDenseSize(double(made->heads()) * n * n, ".npy");
          mask = std::make_shared<SparseMask>(buildMask(*made, {}, progress.part(checked.makeShare(), 1.0)));
          const SparseMask& shown = f == LayoutNpy ? mask->blockLayout() : *mask;
          const double bytes = double(shown.heads()) * double(shown.n()) * double(shown.n());
          note = "A uint8 array [" + std::to_string(shown.heads()) + ", " + withSeparators(shown.n()) + ", " +
                 withSeparators(shown.n()) + "], " + withSeparators(static_cast<Index>(bytes)) +
                 " bytes of data: 1 where " +
                 (f == LayoutNpy ? "a query block attends a key block" : "a query attends a key") +
                 ".\nnumpy.load reads it. Save… writes it.";
          break;
        }
      }
    }
    // The dialog owns the runner, whose destructor stops the task: the result is handed over only while it exists.
    return [this, text = QString::fromStdString(text), note = QString::fromStdString(note), mask] {
      text_ = text;
      mask_ = mask;
      preview_->setPlainText(mask ? note : previewOf(text));
      copy_->setEnabled(!text.isEmpty());
      save_->setEnabled(true);
      message_->setText(mask ? QString()
                             : QStringLiteral("%1 lines. Copy puts them on the clipboard; Save… writes a file.")
                                   .arg(text.count(QLatin1Char('\n'))));
    };
  });
}

bool ExportCodeDialog::saveTo(const QString& path) {
  try {
    if (mask_) {
      if (format() == LayoutNpy)
        writeLayoutNpy(*mask_, path.toStdString());
      else
        writeMaskNpy(*mask_, path.toStdString());
    } else if (!text_.isEmpty()) {
      writeFileAtomically(path.toStdString(), text_.toStdString());
    } else {
      return false;
    }
  } catch (const Error& e) {
    message_->setStyleSheet(QStringLiteral("color: #b00020;"));
    message_->setText(QString::fromStdString(e.what()));
    return false;
  }
  message_->setStyleSheet(QString());
  message_->setText(QStringLiteral("Saved ") + path);
  return true;
}

}  // namespace attnscope
