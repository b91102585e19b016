#!/usr/bin/env bash
# K-fold cross-validation of one recipe on a folder of tapes, end to end:
#   scripts/cross_validate.sh TAPES OUT [K]        (K: 5 by default)
# For each fold I it builds OUT/records_I (--folds=K --fold=I: every
# artist-era group is in the test split of exactly one fold), trains the
# recipe into OUT/fold_I and evaluates it there beside the baselines; then
# `jazzcnn.aggregate` gives each score's mean over the folds with its
# t-interval, and the model minus each baseline paired by fold
# (OUT/aggregate.json). This is how BENCHMARKS.md's five-fold tables were
# measured. Rerunning continues: a fold's records built from the same tapes
# (names, sizes, times) with the same flags (and the same text in their
# flagfiles and in those these name), by the same builder code
# (beam_pipelines/builder_code.py), are kept (so are the baselines'
# features cached beside them), finished folds are not trained again, and
# an interrupted one resumes.
#   RECIPE       the trainer's flagfile (default: flags/cpu.cfg)
#   BUILD_FLAGS  to build_records, e.g. '--flagfile=flags/build_check.cfg'
#   TRAIN_FLAGS  to train, after RECIPE, e.g. '--epochs=40'
#   EVAL_FLAGS   to evaluate, e.g. '--baselines=mel_stats'
# e.g. the soundtracks corpus (README, "Real-music check corpora"):
#   BUILD_FLAGS=--flagfile=flags/build_check.cfg \
#       scripts/cross_validate.sh check_tapes/ runs/soundtracks/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: scripts/cross_validate.sh TAPES OUT [K]"
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "$usage" >&2; exit 2; }
tapes=$1 out=${2%/} folds=${3:-5}
[[ $folds =~ ^[0-9]+$ ]] && [ "$folds" -ge 3 ] || {  # As build_records needs.
  echo "cross_validate.sh: K=$folds: give a whole number of folds, 3 or more" >&2
  exit 2; }
[ -e "$tapes" ] || { echo "cross_validate.sh: $tapes: no such folder or file" >&2; exit 1; }
"$root/scripts/setup.sh"
export TF_CPP_MIN_LOG_LEVEL=3  # Without the harmless cuInit line (run_demo.sh).
py=$root/.venv/bin/python
recipe=${RECIPE:-$root/flags/cpu.cfg}
read -r -a build_flags <<< "${BUILD_FLAGS:-}"
read -r -a train_flags <<< "${TRAIN_FLAGS:-}"
read -r -a eval_flags <<< "${EVAL_FLAGS:-}"
mkdir -p "$out"
started=$SECONDS
# The text of the flagfile a --flagfile=PATH flag names, then that of each
# flagfile it names in turn, found as absl finds them (PATH trimmed, '~'
# for home, from the working folder), at most 10 deep (a cycle stops).
flagfile_texts() {
  local path=${1#*flagfile=} line
  path=${path#"${path%%[![:space:]]*}"} path=${path%"${path##*[![:space:]]}"}
  path=${path/#\~/$HOME}
  [ "$2" -lt 10 ] && cat -- "$path" 2> /dev/null || return 0
  while IFS= read -r line; do
    case $line in --flagfile=* | -flagfile=*) flagfile_texts "$line" $(($2 + 1)) ;; esac
  done < "$path"
}
# What every fold's records are built from besides its flags: what the
# flagfiles among them say, and each tape's name, size and time.
sources=$(for flag in ${build_flags[@]+"${build_flags[@]}"}; do
            case $flag in --flagfile=* | -flagfile=*) flagfile_texts "$flag" 0 ;; esac
          done
          find -L "$tapes" -type f -printf '%P %s %T@\n' | LC_ALL=C sort)
# And the builder's code: records an older builder made are made again.
builder=$("$py" -c 'from beam_pipelines import builder_code
print("builder code", builder_code.fingerprint())')

for ((i = 0; i < folds; i++)); do
  records=$out/records_$i model=$out/fold_$i
  echo "== fold $i of $folds: records in $records"
  # What the records are built from: the fold, the flags, the sources and
  # the code.
  # A rebuild would write another dataset_info.json (its time), and the
  # baselines' features cached under its hash would be computed again.
  stamp=$(printf '%s\n' "$tapes" "$folds" "$i" ${build_flags[@]+"${build_flags[@]}"} \
            "$sources" "$builder")
  if [ -f "$records/dataset_info.json" ] && [ -f "$records.build.stamp" ] \
      && [ "$(cat "$records.build.stamp")" = "$stamp" ]; then
    echo "   kept: built before from the same tapes, flags and code (rm -r $records to rebuild)"
  else
    rm -f "$records.build.stamp"
    $py -m beam_pipelines.build_records --runner=DirectRunner --input="$tapes" \
        --output_dir="$records" --folds="$folds" --fold="$i" \
        ${build_flags[@]+"${build_flags[@]}"} > "$records.build.json.tmp"
    mv "$records.build.json.tmp" "$records.build.json"  # Whole, or none.
    printf '%s\n' "$stamp" > "$records.build.stamp"
  fi
  $py - "$records" <<'EOF'
import json, os, sys  # Not jazzcnn.dataset_info: no TensorFlow to import.
info = json.load(open(os.path.join(sys.argv[1], 'dataset_info.json')))
print('   ' + ', '.join(f"{s} {e['windows']} windows of {e['tapes']} tapes"
                        for s, e in info['splits'].items()))
EOF
  echo "   training $recipe${TRAIN_FLAGS:+ $TRAIN_FLAGS} into $model (log: $model.train.log)"
  fold_start=$SECONDS
  $py -m jazzcnn.train --flagfile="$recipe" ${train_flags[@]+"${train_flags[@]}"} \
      --data_dir="$records" --model_dir="$model" > "$model.train.log" 2>&1 \
    || { tail -5 "$model.train.log" >&2; exit 1; }
  $py - "$model" $((SECONDS - fold_start)) <<'EOF'
import json, os, sys
r = json.load(open(os.path.join(sys.argv[1], 'results.json')))
best = (f"best epoch {r['best']['epoch']}, validation balanced accuracy "
        f"{r['best']['val_balanced_accuracy']:.3f}")
print(f'   trained in {sys.argv[2]} s ({best})' if r['steps_this_run'] else
      f'   nothing left to train: a finished run ({best})')
EOF
  $py -m jazzcnn.evaluate --model_dir="$model" --data_dir="$records" \
      ${eval_flags[@]+"${eval_flags[@]}"} > "$model.evaluation.txt.tmp"
  mv "$model.evaluation.txt.tmp" "$model.evaluation.txt"
  sed -n 's/^balanced accuracy /   test balanced accuracy /p' "$model.evaluation.txt"
done

echo "== $folds folds in $((SECONDS - started)) s: mean over the folds"
# These K folds' files by name: a glob would take in a fold left in OUT by
# an earlier run with a larger K.
metrics=()
for ((i = 0; i < folds; i++)); do
  metrics+=("$out/fold_$i/evaluation/test/metrics.json")
done
$py -m jazzcnn.aggregate "${metrics[@]}" --output="$out/aggregate.json"
