r"""How often the bootstrap intervals hold the truth: coverage by simulation.

  python tools/bootstrap_coverage.py --units=3,5,10,20 --trials=400

Every interval `evaluate` prints resamples whole tapes (or groups) within
each era (`metrics.interval`). A fold's test split holds only 3-12 of them
an era in the check corpora, where a bootstrap interval can be too narrow.
This draws --trials test splits from a population whose scores are known
and counts how often each scipy method's 95 % interval of window and tape
balanced accuracy holds them, and how wide it is.

The population: three eras; a tape of era c has --windows windows, each
heard right with the tape's own probability p ~ Beta(mean --recalls[c],
concentration --concentration), since tapes differ as real ones do, and a
wrong window goes to another era at random. A tape is heard as the era most
of its windows are (ties at random), as `evaluate_lib.tape_level` decides by
the mean probabilities. The true window balanced accuracy is the mean of
--recalls; the tape one is estimated from --population tapes an era.

Beside the bootstraps, the tape score's posterior interval (Brodersen et
al. 2010), which needs no resampling of a handful of tapes: a candidate
for the tapes' intervals, measured here before any report uses it.

  python tools/bootstrap_coverage.py --score=roc_auc

does the same for the macro ROC AUC (`roc`), whose intervals resample the
same units. It needs probabilities, so its population is of scores: a tape
of era c has its own clarity m ~ Normal(--separations[c], --spread), and
each of its windows the logits m for era c and 0 for the others, plus
Normal(0, 1) noise each; softmax. A tape's probabilities are its windows'
mean. The true AUCs are those of --population tapes an era.
"""

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # pylint: disable=g-import-not-at-top
from scipy import stats  # pylint: disable=g-import-not-at-top
import tqdm  # pylint: disable=g-import-not-at-top

from jazzcnn import metrics  # pylint: disable=g-import-not-at-top
from jazzcnn import roc  # pylint: disable=g-import-not-at-top

METHODS = ('percentile', 'basic', 'BCa')
# Not a bootstrap: tape balanced accuracy's posterior (`posterior_interval`).
POSTERIOR = 'posterior'


def draw_tapes(rng, recalls, tapes, windows, concentration):
  """(labels [E*tapes], counts [E*tapes, E]): per tape its era and how many
  of its windows were heard as each era."""
  eras = len(recalls)
  labels = np.repeat(np.arange(eras), tapes)
  mean = np.asarray(recalls)[labels]
  p = rng.beta(mean * concentration, (1 - mean) * concentration)
  right = rng.binomial(windows, p)
  counts = np.zeros((len(labels), eras), np.int64)
  counts[np.arange(len(labels)), labels] = right
  for i, label in enumerate(labels):  # Wrong windows, to the other eras.
    others = np.delete(np.arange(eras), label)
    counts[i, others] += rng.multinomial(windows - right[i],
                                         np.full(eras - 1, 1 / (eras - 1)))
  return labels, counts


def tape_decisions(rng, counts):
  """[tapes, E] one-hot: the era most of a tape's windows were heard as,
  ties broken at random."""
  top = counts == counts.max(axis=1, keepdims=True)
  noise = rng.random(counts.shape) * top
  return np.eye(counts.shape[1], dtype=np.int64)[noise.argmax(axis=1)]


def true_scores(rng, args):
  """(window, tape) balanced accuracy of the population."""
  labels, counts = draw_tapes(rng, args.recalls, args.population,
                              args.windows, args.concentration)
  decided = tape_decisions(rng, counts)
  recall = [decided[labels == c, c].mean() for c in range(len(args.recalls))]
  return float(np.mean(args.recalls)), float(np.mean(recall))


def held(rng, args, labels, statistic, method, truth):
  """(whether the method's interval of `statistic`, resampling the tapes
  of `labels`, holds `truth`; its width), or None where it gave none."""
  ci = metrics.unit_interval(labels, statistic, method=method,
                             n_resamples=args.resamples,
                             seed=int(rng.integers(2**31)))
  if ci is None or not np.all(np.isfinite(ci)):
    return None
  return ci[0] <= truth <= ci[1], ci[1] - ci[0]


def trial(rng, args, units, truth):
  """{(level, method): (held the truth, width, or None where the method
  gave no interval)} of one test split of `units` tapes an era."""
  labels, counts = draw_tapes(rng, args.recalls, units, args.windows,
                              args.concentration)
  out = {}
  for level, level_counts in (('window', counts),
                              ('tape', tape_decisions(rng, counts))):
    one_hot = np.eye(len(args.recalls))[labels]
    score = lambda w, c=level_counts: metrics.balanced_accuracy(
        one_hot.T @ (w[:, None] * c))
    for method in args.methods:
      out[level, method] = held(rng, args, labels, score, method,
                                truth[level])
  low, high = posterior_interval(rng, labels, tape_decisions(rng, counts))
  out['tape', POSTERIOR] = (low <= truth['tape'] <= high, high - low)
  return out


def draw_scored_tapes(rng, separations, tapes, windows, spread):
  """(tape labels [E*tapes], window probabilities [E*tapes*windows, E],
  each window's tape [E*tapes*windows]) of the scores' population."""
  eras = len(separations)
  labels = np.repeat(np.arange(eras), tapes)
  clarity = rng.normal(np.asarray(separations)[labels], spread)
  tape_of = np.repeat(np.arange(len(labels)), windows)
  logits = rng.normal(size=(len(tape_of), eras))
  logits[np.arange(len(tape_of)), labels[tape_of]] += clarity[tape_of]
  probs = np.exp(logits - logits.max(axis=1, keepdims=True))
  return labels, probs / probs.sum(axis=1, keepdims=True), tape_of


def _auc_items(labels, probs, tape_of, windows):
  """{'window', 'tape': (unit_of, labels, probs)}: the windows with their
  tape, and the tapes (their windows' mean) with themselves."""
  tape_probs = probs.reshape(len(labels), windows, -1).mean(axis=1)
  return {'window': (tape_of, labels[tape_of], probs),
          'tape': (np.arange(len(labels)), labels, tape_probs)}


def true_aucs(rng, args):
  """(window, tape) macro ROC AUC of the population."""
  items = _auc_items(*draw_scored_tapes(
      rng, args.separations, args.population, args.windows, args.spread),
                     args.windows)
  return tuple(roc.macro(y, p) for _, y, p in items.values())


def auc_trial(rng, args, units, truth):
  """`trial` for the macro ROC AUC (no posterior)."""
  labels, probs, tape_of = draw_scored_tapes(rng, args.separations, units,
                                             args.windows, args.spread)
  out = {}
  for level, items in _auc_items(labels, probs, tape_of,
                                 args.windows).items():
    statistic = roc.weighted_macro(*items, len(labels))
    for method in args.methods:
      out[level, method] = held(rng, args, labels, statistic, method,
                                truth[level])
  return out


def posterior_interval(rng, labels, decided, draws=20_000):
  """The central interval of tape balanced accuracy's posterior (Brodersen
  et al. 2010, "The balanced accuracy and its posterior distribution"):
  each era's tape recall Beta(right + 1, wrong + 1) under a uniform prior,
  their mean sampled. For tapes heard independently (not grouped)."""
  eras = decided.shape[1]
  right = np.array([decided[labels == c, c].sum() for c in range(eras)])
  total = np.bincount(labels, minlength=eras)
  mean = stats.beta.rvs(right + 1, total - right + 1,
                        size=(draws, eras), random_state=rng).mean(axis=1)
  tail = (1 - metrics.CONFIDENCE) / 2
  return tuple(np.quantile(mean, [tail, 1 - tail]))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--units', default='3,5,10,20',
                      help='tapes an era in a test split, comma-separated')
  parser.add_argument('--trials', type=int, default=400)
  parser.add_argument('--recalls', default='0.85,0.65,0.5',
                      help="each era's mean window recall")
  parser.add_argument('--concentration', type=float, default=4.0,
                      help='of the tapes Beta: lower, tapes differ more')
  parser.add_argument('--windows', type=int, default=6)
  parser.add_argument('--population', type=int, default=200_000)
  parser.add_argument('--resamples', type=int, default=metrics.RESAMPLES)
  parser.add_argument('--methods', default=','.join(METHODS))
  parser.add_argument('--score', choices=('balanced_accuracy', 'roc_auc'),
                      default='balanced_accuracy')
  parser.add_argument('--separations', default='1.5,1,0.5',
                      help="--score=roc_auc: each era's mean tape clarity")
  parser.add_argument('--spread', type=float, default=1.0,
                      help='--score=roc_auc: how tapes differ in clarity')
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args()
  args.recalls = [float(r) for r in args.recalls.split(',')]
  args.separations = [float(m) for m in args.separations.split(',')]
  args.methods = args.methods.split(',')
  if not all(0 < r < 1 for r in args.recalls) or set(args.methods) - set(
      METHODS):
    sys.exit(f'--recalls must lie in (0, 1); --methods among {METHODS}')
  rng = np.random.default_rng(args.seed)
  auc = args.score == 'roc_auc'
  truth = dict(zip(('window', 'tape'),
                   (true_aucs if auc else true_scores)(rng, args)))
  print(f'population: window {args.score} {truth["window"]:.3f}, tape '
        f'{truth["tape"]:.3f}; {args.trials} test splits each, '
        f'{metrics.CONFIDENCE:.0%} intervals')
  print('| tapes an era | method | window: held the truth | mean width | '
        'tape: held the truth | mean width |')
  print('|' + ' --- |' * 6, flush=True)
  for units in (int(u) for u in args.units.split(',')):
    runs = [(auc_trial if auc else trial)(rng, args, units, truth)
            for _ in tqdm.trange(args.trials, desc=f'{units} tapes an era',
                                 leave=False)]
    for method in (*args.methods, *([] if auc else [POSTERIOR])):
      cells = []
      for level in ('window', 'tape'):
        got = [r[level, method] for r in runs if r.get((level, method))]
        if not got:  # The posterior is of tapes only.
          cells += ['-', '-']
          continue
        cells += [f'{np.mean([held for held, _ in got]):.3f}'
                  + (f' ({len(runs) - len(got)} none)'
                     if len(got) < len(runs) else ''),
                  f'{np.mean([width for _, width in got]):.3f}']
      print(f'| {units} | {method} | ' + ' | '.join(cells) + ' |',
            flush=True)


if __name__ == '__main__':
  main()
