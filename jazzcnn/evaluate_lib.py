"""Window- and tape-level metrics of a trained model on one split."""

import collections

import numpy as np

from jazzcnn import features
from jazzcnn import input_pipeline
from jazzcnn import models


def predict_split(model, data_dir, info, split, *, batch_size=32):
  """Runs the model over a split.

  Returns:
    (probs [N, eras] float, labels [N] int, tape_ids [N] str), in the
    pipeline's deterministic order.
  """
  ds = input_pipeline.create_dataset(
      data_dir, split, info=info, batch_size=batch_size, training=False,
      keys=(features.WAVEFORM, features.LABEL, features.TAPE_ID))
  probs, labels, tapes = [], [], []
  for batch in ds:
    probs.append(models.inference_fn(model)(batch[features.WAVEFORM]).numpy())
    labels.append(batch[features.LABEL].numpy())
    tapes.extend(t.decode() for t in batch[features.TAPE_ID].numpy())
  return np.concatenate(probs), np.concatenate(labels), np.array(tapes)


def confusion_matrix(labels, predictions, num_classes):
  """[true, predicted] counts."""
  matrix = np.zeros((num_classes, num_classes), np.int64)
  np.add.at(matrix, (labels, predictions), 1)
  return matrix


def per_class(matrix, names):
  """{name: precision, recall, f1, support} from a confusion matrix."""
  out = {}
  for i, name in enumerate(names):
    tp = matrix[i, i]
    predicted, actual = matrix[:, i].sum(), matrix[i, :].sum()
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = (2 * precision * recall / (precision + recall)
          if precision + recall else 0.0)
    out[name] = {'precision': float(precision), 'recall': float(recall),
                 'f1': float(f1), 'support': int(actual)}
  return out


def tape_level(probs, labels, tape_ids):
  """A tape's era from its windows' mean probabilities.

  Returns:
    (tape ids, mean probs [tapes, eras], labels [tapes]), tapes sorted.
  """
  by_tape = collections.defaultdict(list)
  for i, tape in enumerate(tape_ids):
    by_tape[tape].append(i)
  tapes = sorted(by_tape)
  mean = np.stack([probs[by_tape[t]].mean(axis=0) for t in tapes])
  tape_labels = np.array([labels[by_tape[t][0]] for t in tapes])
  return tapes, mean, tape_labels


def compute_metrics(probs, labels, tape_ids, eras):
  """Everything `evaluate` reports, as a JSON-ready dict."""
  n = len(eras)
  predicted = probs.argmax(axis=1)
  matrix = confusion_matrix(labels, predicted, n)
  tapes, tape_probs, tape_labels = tape_level(probs, labels, tape_ids)
  tape_matrix = confusion_matrix(tape_labels, tape_probs.argmax(axis=1), n)
  # The seed's table: for the windows of each true era, the mean softmax.
  confidence = {
      era: ({e: float(v) for e, v in zip(eras, probs[labels == i].mean(0))}
            if (labels == i).any() else None)
      for i, era in enumerate(eras)}
  return {
      'eras': list(eras),
      'windows': int(len(labels)),
      'tapes': len(tapes),
      'window_accuracy': float((predicted == labels).mean()),
      'tape_accuracy': float((tape_probs.argmax(1) == tape_labels).mean()),
      'per_era': per_class(matrix, eras),
      'confusion_matrix': matrix.tolist(),
      'tape_confusion_matrix': tape_matrix.tolist(),
      'mean_confidence': confidence,
  }


def format_report(metrics):
  """The metrics as a plain-text table for people."""
  eras = metrics['eras']
  width = max(8, *(len(e) for e in eras)) + 2
  lines = [
      f"windows {metrics['windows']}  tapes {metrics['tapes']}  "
      f"window accuracy {metrics['window_accuracy']:.3f}  "
      f"tape accuracy {metrics['tape_accuracy']:.3f}", '',
      'era'.ljust(width) + 'precision  recall     f1  support']
  for era in eras:
    m = metrics['per_era'][era]
    lines.append(f"{era.ljust(width)}{m['precision']:9.3f} {m['recall']:7.3f} "
                 f"{m['f1']:6.3f} {m['support']:8d}")
  lines += ['', 'confusion (rows: true, columns: predicted)',
            ''.ljust(width) + ''.join(e.rjust(width) for e in eras)]
  for era, row in zip(eras, metrics['confusion_matrix']):
    lines.append(era.ljust(width) + ''.join(str(v).rjust(width) for v in row))
  lines += ['', 'mean softmax confidence (rows: true era)',
            ''.ljust(width) + ''.join(e.rjust(width) for e in eras)]
  for era in eras:
    row = metrics['mean_confidence'][era]
    cells = (f'{row[e]:.3f}'.rjust(width) for e in eras) if row else [
        '-'.rjust(width)] * len(eras)
    lines.append(era.ljust(width) + ''.join(cells))
  return '\n'.join(lines)
