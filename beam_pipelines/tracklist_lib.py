"""Summaries of a track list: label counts and how it would split (the
`tracklist` command). Reading it and the label rule are `jazzcnn.naming`'s."""

import collections
import os

from beam_pipelines import build_steps as steps
from jazzcnn import naming

DEFAULT_TRACKLIST = os.path.join(os.path.dirname(__file__), 'data',
                                 'niven_songlist.csv')


def summarize(tracklist, eras, titles=None):
  """Counts tapes per era and per unlabelled status: the track list's, or
  those of `titles` (the tapes of a folder), then with 'unlisted', the
  titles the track list lacks."""
  counts = collections.Counter(
      naming.label(title, tracklist[title], eras).status
      if title in tracklist else steps.UNLISTED
      for title in (tracklist if titles is None else titles))
  return {name: counts[name] for name in [e.name for e in eras]
          + list(naming.NOT_LABELLED)
          + ([] if titles is None else [steps.UNLISTED])}


def split_summary(tracklist, eras, *, split_by, fractions=(0.8, 0.1, 0.1),
                  folds=0, fold=0, titles=None):
  """Tapes and groups per era in each split, as the builder would split them.

  Args:
    tracklist: {title: year text}.
    titles: the tapes to split (folds are dealt from the groups present);
      None: every title of the track list.
    eras: `Era`s.
    split_by: 'tape', 'artist' or 'artist_era' (`naming.split_key`).
    fractions: train, validation, test fractions of the groups.
    folds: K > 0: group-stratified folds instead (`naming.fold_splits`).
    fold: the test fold.

  Returns:
    {split: {era: {'tapes': n, 'groups': n}}}, and a list of warnings (an
    era with no tapes in a split).
  """
  labelled = naming.labelled_groups(
      tracklist if titles is None else titles, tracklist, eras, split_by)
  split_of = (naming.fold_splits({g: e for e, g in labelled.values()}, folds,
                                 fold) if folds else None)
  out = {s: {e.name: {'tapes': 0, 'groups': set()} for e in eras}
         for s in naming.SPLITS}
  for era, group in labelled.values():
    split = (split_of[group] if split_of else
             naming.assign_split(group, fractions))
    out[split][era]['tapes'] += 1
    out[split][era]['groups'].add(group)
  warnings = [f'era {era} has no {split} tapes' for split in naming.SPLITS
              for era, v in out[split].items() if not v['tapes']]
  return ({s: {e: {'tapes': v['tapes'], 'groups': len(v['groups'])}
               for e, v in by_era.items()} for s, by_era in out.items()},
          warnings)
