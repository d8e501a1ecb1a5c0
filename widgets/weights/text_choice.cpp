#include "widgets/weights/text_choice.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>

#include <utility>
#include <vector>

#include "engine/io/atomic_file.h"
#include "widgets/shared/resources.h"

namespace attnscope {

namespace {

// The shipped samples: (name on screen, resource file).
const std::vector<std::pair<QString, QString>>& samples() {
  static const std::vector<std::pair<QString, QString>> list = {
      {QStringLiteral("The red kite"), QStringLiteral("the-red-kite.txt")},
      {QStringLiteral("Lily and the puppy"), QStringLiteral("lily-and-the-puppy.txt")},
      {QStringLiteral("Tom's big cake"), QStringLiteral("toms-big-cake.txt")},
      {QStringLiteral("The little boat"), QStringLiteral("the-little-boat.txt")},
      {QStringLiteral("Words to find (masked)"), QStringLiteral("masked-words-to-find.txt")},
      {QStringLiteral("A day out (masked)"), QStringLiteral("masked-a-day-out.txt")},
  };
  return list;
}

}  // namespace

TextChoice::TextChoice(const QString& objectName, bool withFile, QWidget* parent)
    : QComboBox(parent), withFile_(withFile) {
  setObjectName(objectName);
  addItem(QStringLiteral("the text above"));
  addItems(sampleNames());
  if (withFile_) addItem(QStringLiteral("a text file…"));
  setCurrentIndex(1);
  if (withFile_)
    connect(this, &QComboBox::activated, this, [this](int index) {
      if (index != count() - 1) return;
      const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open a text"), QString(),
                                                        QStringLiteral("Text (*.txt);;All files (*)"));
      if (path.isEmpty() || !setFile(path)) setCurrentIndex(0);
    });
}

bool TextChoice::setSample(const QString& name) {
  if (name.isEmpty()) {
    setCurrentIndex(0);
    return true;
  }
  const int at = static_cast<int>(sampleNames().indexOf(name));
  if (at < 0) return false;
  setCurrentIndex(at + 1);
  return true;
}

bool TextChoice::setFile(const QString& path) {
  if (!withFile_) return false;
  try {
    fileText_ = readSmallFile(path.toStdString(), std::size_t(1) << 20, "a text of at most 1 MB");
  } catch (const std::exception& e) {
    problem(QString::fromUtf8(e.what()));
    return false;
  }
  filePath_ = path;
  setItemText(count() - 1, QFileInfo(path).fileName());
  setCurrentIndex(count() - 1);
  problem({});
  return true;
}

std::optional<std::string> TextChoice::chosen(const RuntimeModel* model) const {
  const int index = currentIndex();
  if (index == 0) return (above_ ? above_() : QString()).toStdString();
  if (withFile_ && index == count() - 1) {
    if (filePath_.isEmpty()) {
      problem(QStringLiteral("no text file is open: choose \"a text file…\" and pick one"));
      return std::nullopt;
    }
    return fileText_;
  }
  const std::optional<QString> text = sampleText(currentText(), model);
  if (!text) {
    problem(QStringLiteral("the sample '%1' is missing from this build").arg(currentText()));
    return std::nullopt;
  }
  return text->toStdString();
}

QStringList TextChoice::sampleNames() {
  QStringList names;
  for (const auto& [name, file] : samples()) names << name;
  return names;
}

std::optional<QString> TextChoice::sampleText(const QString& name, const RuntimeModel* model) {
  const int at = static_cast<int>(sampleNames().indexOf(name));
  if (at < 0) return std::nullopt;
  initResources();
  QFile file(QStringLiteral(":/texts/") + samples()[std::size_t(at)].second);
  if (!file.open(QIODevice::ReadOnly)) return std::nullopt;
  QString text = QString::fromUtf8(file.readAll()).trimmed();
  // The masked samples are written with BERT's [MASK]: the model's own mask token takes its place.
  if (model)
    if (const int mask = model->tokenizer->maskToken(); mask >= 0)
      text.replace(QStringLiteral("[MASK]"), QString::fromStdString(model->tokenizer->label(mask)));
  return text;
}

}  // namespace attnscope
