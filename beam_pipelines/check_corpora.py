"""The real-music check corpora: which Debian packages, which tracks, which
class each.

The model must hear style in recorded music, not only in the synthetic demo.
Three corpora, each class standing in for an "era", each track one tape:

- `soundtracks`: four games' soundtracks, one class per game. Some games
  have many composers (supertux's chiptune, orchestral and rock pieces are
  one class), which makes it the harder of the two.
- `composers`: four composers, one class each, every track credited to its
  composer by the package itself (warzone2100's `album.json`, the
  singularity-music and ufoai-music copyright files). Two of the classes
  come from one game (ufoai), so the game's sound alone does not separate
  them.
- `trio`: three more games' soundtracks, whole tracks, unbalanced (18, 26
  and 12 tracks): the shape of the independent check below. It was built
  after every recipe choice, to score the chosen recipe on music that
  choosing never saw.

The packages come from Debian's archive (`apt-get download`, no install, no
root), so anyone can rebuild the same corpora. The wesnoth, hyperrogue and
drascula music packages are left out on purpose: they are kept for an
independent check.

Variants of one piece (`celtic` and `celtic_fast`, `forest2` and `forest3`,
`voc-daytime` and `voc-daytime2`) share an "artist" in the tape name, so a
split by artist keeps them together and a model cannot pass the test by
recognising a track it trained on; so do tracks that hold the same audio
under unrelated names (`Source.same_audio`, found by `jazzcnn.duplicates`).

A corpus of one's own takes its classes from the command line
(`parse_source`; `make_check_corpus --source`).
"""

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class Source:
  name: str  # Class name, used as the "era" of its tapes.
  package: str  # Debian package holding the music.
  pattern: str  # fnmatch pattern of the tracks (in the package or archive).
  year: int  # The year written into every tape title of this class.
  archive: str = ''  # A zip (.pk3) in the package that holds the tracks.
  exclude: tuple = ()  # fnmatch patterns of matching tracks to leave out.
  # Whether names like 'celtic_fast' and 'forest2' are variants of one piece
  # (`check_corpus_lib.artist`); False where every file is its own piece ('track4').
  group_variants: bool = True
  # (track, track) pairs of file names without extension that hold the same
  # audio under names the variant rules do not join: the first takes the
  # second's group. Found with `python -m jazzcnn.duplicates`.
  same_audio: tuple = ()


SOURCES = (
    # menu.ogg is ingame_14.ogg; TechBattle and AmbientBattle share 30 s,
    # the two HellFortress pieces 15 s (BENCHMARKS.md, "The same recording
    # in two splits").
    Source('widelands', 'widelands-data',
           'usr/share/games/widelands/data/music/*.ogg', 1901,
           same_audio=(('menu', 'ingame_14'),)),
    Source('supertuxkart', 'supertuxkart-data',
           'usr/share/games/supertuxkart/data/music/*.ogg', 1902),
    Source('freedroidrpg', 'freedroidrpg-data',
           'usr/share/freedroidrpg/data/sound/music/*.ogg', 1903,
           same_audio=(('TechBattle', 'AmbientBattle'),
                       ('HellFortressTwo', 'HellFortressEntrance'))),
    Source('supertux', 'supertux-data',
           'usr/share/games/supertux2/music/*/*.ogg', 1904),
)
# Composers credited track by track in their packages. Warzone2100's
# original album and the aftermath album's "enhanced" remasters of its pieces
# are Martin Severn's compositions.
COMPOSERS = (
    Source('lupusmechanicus', 'warzone2100-music',
           'usr/share/games/warzone2100/music/albums/*/*.opus', 1911,
           exclude=('*/original_soundtrack/*', '*_enhanced.opus'),
           group_variants=False),
    Source('mccracken', 'singularity-music',
           'usr/share/games/singularity/music/*.ogg', 1912,
           group_variants=False),
    Source('crystan', 'ufoai-music', 'music/Crystan-*.ogg', 1913,
           archive='usr/share/games/ufoai/base/0music.pk3',
           group_variants=False),
    Source('baklund', 'ufoai-music', 'music/Marine*.ogg', 1914,
           archive='usr/share/games/ufoai/base/0music.pk3',
           group_variants=False),
)
# Three games, none used to choose anything: the nexuiz soundtrack (mostly
# electronic), hedgewars' (several composers, credited in its credits.txt)
# and flare's fantasy themes. 'sixtyfour_' and 'sixtyfour_revisited',
# 'Olympics' and 'olympics_sd' are variants of one piece.
TRIO = (
    Source('nexuiz', 'nexuiz-music', 'sound/cdtracks/*.ogg', 1921,
           archive='usr/share/games/nexuiz/data/music.pk3'),
    Source('hedgewars', 'hedgewars-data',
           'usr/share/games/hedgewars/Data/Music/*.ogg', 1922),
    Source('flare', 'flare-game',
           'usr/share/games/flare/mods/fantasycore/music/*.ogg', 1923),
)
CORPORA = {'soundtracks': SOURCES, 'composers': COMPOSERS, 'trio': TRIO}
# Never used here: kept for an independent check of this project.
RESERVED_PACKAGES = ('wesnoth-music', 'hyperrogue-music', 'drascula-music')
# The years of classes given on the command line (`parse_source`): 1931, ...
FIRST_SOURCE_YEAR = 1931


def parse_source(text, year, group_variants=True, exclude=()):
  """A `Source` from 'NAME:PACKAGE:PATTERN', or 'NAME:PACKAGE:ZIP!PATTERN'
  for tracks in a zip (a .pk3) inside the package: one class of a corpus of
  one's own, e.g. 'nexuiz:nexuiz-music:usr/share/games/nexuiz/data/
  music.pk3!sound/cdtracks/*.ogg'. PATTERN is an fnmatch pattern of paths
  in the package (no leading '/') or in the zip; `exclude` patterns of
  matching tracks to leave out.

  Raises:
    ValueError: for text not of that form, in one line.
  """
  name, package, pattern = (text.split(':', 2) + ['', ''])[:3]
  archive, _, inside = pattern.rpartition('!')
  if not (re.fullmatch(r'[A-Za-z0-9]+', name) and package and inside):
    raise ValueError(f'{text!r} is not NAME:PACKAGE:PATTERN (NAME letters and '
                     'digits; PATTERN a glob of the tracks in the package, or '
                     'ZIP!PATTERN for those in a zip inside it)')
  return Source(name.lower(), package, inside.lstrip('/'), year,
                archive=archive.lstrip('/'), exclude=tuple(exclude),
                group_variants=group_variants)


def eras(sources):
  """The builder's --eras value that labels a corpus (one "era" a class)."""
  return ','.join(f'{s.name}:{s.year}-{s.year}' for s in sources)
