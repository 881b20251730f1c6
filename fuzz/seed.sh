#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's own inputs, so the fuzzers start from real webhook payloads,
# configs, commit messages, comments and templates instead of from nothing. Idempotent: seed files are named
# after their source. Usage: fuzz/seed.sh (from anywhere).
set -euo pipefail
cd "$(dirname "$0")"
root=..
corpus=corpus
mkdir -p "$corpus"/{webhook,config,trailers,command,template}

# webhook: `<event>\n<payload>` for every GitHub payload fixture (tests/fixtures/webhooks/<event>/*.json).
for file in "$root"/tests/fixtures/webhooks/*/*.json "$root"/tests/fixtures/pr/*.json; do
  event=$(basename "$(dirname "$file")")
  [ "$event" = pr ] && event=pull_request
  name=$(printf '%s' "${file#"$root"/}" | tr '/' '_')
  { printf '%s\n' "$event"; cat "$file"; } > "$corpus/webhook/$name"
done

# config: every mentorship.yml and config fixture alone, and org file + repository file pairs (NUL-separated).
configs=()
while IFS= read -r -d '' file; do configs+=("$file"); done < <(
  find "$root/.github" "$root/tests/fixtures" "$root/app/demo" "$root/bench" -name '*.yml' \
    \( -path '*mentorship*' -o -path '*fixtures/config/*' \) -print0 2>/dev/null)
for file in "${configs[@]}"; do
  cp "$file" "$corpus/config/$(printf '%s' "${file#"$root"/}" | tr '/' '_')"
done
org="$root/.github/mentorship.yml"
for file in "${configs[@]}"; do
  [ "$file" = "$org" ] && continue
  { cat "$org"; printf '\0'; cat "$file"; } > "$corpus/config/pair_$(printf '%s' "${file#"$root"/}" | tr '/' '_')"
done

# trailers: a mode byte (comment prefix, patch divider) then a commit message from this repository's history,
# plus messages shaped like the hooks' inputs.
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  i=0
  while IFS= read -r -d '' message; do
    printf '\000%s' "$message" > "$corpus/trailers/git_$i"
    i=$((i + 1))
  done < <(git -C "$root" log -n 100 --format='%B%x00' 2>/dev/null)
fi
printf '\000Add retries\n\nWhy: flaky network.\n\nMentored-by: Bob <bob@example.com>\nCo-authored-by: A <a@x>\n' > "$corpus/trailers/mentored"
printf '\000Fix\n\n# Please enter the commit message\n# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n' > "$corpus/trailers/scissors"
printf '\010Subject\n\nbody\n---\n a | 1 +\nSigned-off-by: A <a@x>\n' > "$corpus/trailers/patch"
printf '\001Subject\n\n; comment\nReviewed-by: X\n  folded value\n' > "$corpus/trailers/semicolon"

# command: comment bodies with commands, errors, and commands hidden in code, quotes and HTML comments.
printf '/mentor help\n' > "$corpus/command/help"
printf '/mentor template design-review\n/mentor checkin 30m pairing on retries\n' > "$corpus/command/two"
printf 'Thanks!\n\n/mentor evidence first-pr\n/mentor confirm first-pr\n/mentor snooze 2w\n' > "$corpus/command/prose"
printf '```\n/mentor help\n```\n> /mentor checkin 1h\n<!-- /mentor help -->\n`/mentor x`\n    /mentor indented\n' > "$corpus/command/hidden"
printf '/mentor checkin 30h\n/mentor\n/mentorship\n/mentor unknown verb\n' > "$corpus/command/errors"
printf '/mentor reject design-review not yet: needs a second reviewer\n' > "$corpus/command/reject"

# template: the built-in templates (front matter and body).
for file in "$root"/templates/*.md; do
  cp "$file" "$corpus/template/$(basename "$file")"
done
printf '{%% for m in milestones_in_play %%}- {{ m.title }} ({{ m.why }})\n{%% endfor %%}{{ pr.title | upper }}\n' > "$corpus/template/loop"
printf '{%% macro f(n) %%}{{ n }}{%% if n < 5 %%}{{ f(n + 1) }}{%% endif %%}{%% endmacro %%}{{ f(0) }}\n' > "$corpus/template/macro"

for target in webhook config trailers command template; do
  echo "seeded $corpus/$target: $(find "$corpus/$target" -type f | wc -l) inputs"
done
