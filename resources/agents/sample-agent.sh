#!/bin/sh
# coSPEC sample agent: no model, just the moves a coding agent makes, for tests and the demo.
# It edits a file, commits, pushes a new branch, opens a merge request and files an issue.
# Given a follow-up task (review threads to address, written by src-main/services/review/follow-up.ts)
# it instead appends a commit to the branch it was cloned on, pushes it (the MR updates itself) and
# replies on each thread.
# It holds NO GitLab token: every git and API call goes out through the run's proxy, and the
# credential gateway outside the container adds the account's credentials (and records the work).
#
# Needs only sh, git and curl. Reads:
#   COSPEC_GITLAB_URL     the instance, e.g. https://gitlab.example.com (required)
#   COSPEC_PROJECT_PATH   e.g. acme/web-app (required)
#   COSPEC_PROJECT_ID     numeric id; the URL-encoded path is used when absent
#   COSPEC_TASK_FILE      the task text (required)
#   COSPEC_WORKSPACE      the clone (default /workspace)
#   COSPEC_RUN_ID         names the branch (default: the task file's checksum)
#   COSPEC_BRANCH_PREFIX  the branches the gateway lets the agent push start with (default cospec/)
#   COSPEC_TARGET_BRANCH  MR target (default: the clone's current branch)
#   HTTPS_PROXY / https_proxy / HTTP_PROXY / http_proxy   the run's proxy
set -eu

say() { printf '[sample-agent] %s\n' "$*"; }
fail() { printf '[sample-agent] ERROR: %s\n' "$*" >&2; exit 1; }

: "${COSPEC_GITLAB_URL:?COSPEC_GITLAB_URL is not set}"
: "${COSPEC_PROJECT_PATH:?COSPEC_PROJECT_PATH is not set}"
: "${COSPEC_TASK_FILE:?COSPEC_TASK_FILE is not set}"
WORKSPACE=${COSPEC_WORKSPACE:-/workspace}
GITLAB_URL=${COSPEC_GITLAB_URL%/}

[ -r "$COSPEC_TASK_FILE" ] || fail "cannot read the task file $COSPEC_TASK_FILE"
[ -d "$WORKSPACE/.git" ] || fail "$WORKSPACE is not a git clone"
command -v git >/dev/null 2>&1 || fail "git is not installed"
command -v curl >/dev/null 2>&1 || fail "curl is not installed"

# curl reads only the lower-case http_proxy for http:// URLs; pass the proxy explicitly to both
# tools so upper- and lower-case settings work alike.
PROXY=${HTTPS_PROXY:-${https_proxy:-${HTTP_PROXY:-${http_proxy:-}}}}
[ -n "$PROXY" ] || say "no proxy configured; talking to GitLab directly"
export GIT_TERMINAL_PROMPT=0
# The workspace is mounted from the host and may belong to another uid than the agent's; trust it
# (environment config counts as command-line config, which git honours for safe.directory).
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$WORKSPACE"

git_() {
  if [ -n "$PROXY" ]; then git -c "http.proxy=$PROXY" "$@"; else git "$@"; fi
}

# Minimal JSON reading without jq: the first occurrence of a number field (GitLab puts the
# object's own id and iid first), and the web_url of the created object
# (nested objects such as "author" carry their own web_url, so match on the object's own path).
json_number() { grep -o "\"$1\":[0-9][0-9]*" | head -n 1 | cut -d: -f2; }
json_web_url() { grep -o "\"web_url\":\"[^\"]*/-/$1/[0-9][0-9]*\"" | head -n 1 | sed 's/^"web_url":"//; s/"$//'; }

# Form-encodes one value (RFC 3986 unreserved kept), byte by byte, in POSIX sh.
urlencode() {
  LC_ALL=C
  s=$1 out=''
  while [ -n "$s" ]; do
    rest=${s#?}
    c=${s%"$rest"}
    case $c in
      [A-Za-z0-9.~_-]) out="$out$c" ;;
      *) out="$out$(printf '%%%02X' "'$c")" ;;
    esac
    s=$rest
  done
  printf '%s' "$out"
}

# POST form fields to the API; prints the body, fails with GitLab's message on an HTTP error.
api_post() {
  path=$1
  shift
  set -- --silent --show-error --fail-with-body -X POST "$@" "$GITLAB_URL/api/v4$path"
  if [ -n "$PROXY" ]; then set -- --proxy "$PROXY" "$@"; fi
  if ! body=$(curl "$@"); then
    fail "POST $path failed: $body"
  fi
  printf '%s' "$body"
}

TASK_TITLE=$(sed -n '/[^[:space:]]/{s/^[[:space:]]*//;p;q;}' "$COSPEC_TASK_FILE" | cut -c1-120)
[ -n "$TASK_TITLE" ] || TASK_TITLE="Sample task"
RUN_ID=${COSPEC_RUN_ID:-$(cksum <"$COSPEC_TASK_FILE" | cut -d' ' -f1)}
BRANCH="${COSPEC_BRANCH_PREFIX:-cospec/}sample-$RUN_ID"
PROJECT_REF=${COSPEC_PROJECT_ID:-$(urlencode "$COSPEC_PROJECT_PATH")}
say "task: $TASK_TITLE"

cd "$WORKSPACE"

# A follow-up: "Address the unresolved review comments on merge request !N ..." then "Thread ID on ...:" headings.
FOLLOW_UP_MR=$(sed -n '1s/^Address the unresolved review comments on merge request !\([0-9][0-9]*\).*/\1/p' "$COSPEC_TASK_FILE")
if [ -n "$FOLLOW_UP_MR" ]; then
  BRANCH=$(git rev-parse --abbrev-ref HEAD)
  [ "$BRANCH" != "HEAD" ] || fail "the clone has a detached HEAD; a follow-up works on the merge request's branch"
  THREADS=$(sed -n 's/^Thread \([0-9A-Za-z]\{1,64\}\) on .*:$/\1/p' "$COSPEC_TASK_FILE")
  [ -n "$THREADS" ] || say "the task lists no threads; committing the task as given"
  say "follow-up on merge request !$FOLLOW_UP_MR, branch $BRANCH"
  {
    printf '\n## Review follow-up (run %s)\n\n' "$RUN_ID"
    for t in $THREADS; do printf -- '- Addressed thread %s\n' "$t"; done
    printf '\n'
    sed -n '/^Thread /,$p' "$COSPEC_TASK_FILE" | sed 's/^/    /'
  } >>COSPEC_SAMPLE.md
  git add COSPEC_SAMPLE.md
  {
    printf 'Sample agent: address review threads on !%s\n\n' "$FOLLOW_UP_MR"
    for t in $THREADS; do printf 'Addresses thread %s.\n' "$t"; done
  } >"$WORKSPACE/.git/COSPEC_MSG"
  git -c user.name="coSPEC sample agent" -c user.email="sample-agent@cospec.invalid" commit -q -F "$WORKSPACE/.git/COSPEC_MSG"
  SHA=$(git rev-parse HEAD)
  say "committed $(git rev-parse --short HEAD)"
  git_ push -q origin "HEAD:refs/heads/$BRANCH" || fail "git push of $BRANCH failed"
  say "pushed $BRANCH"
  # The reply holds no line starting with "/": GitLab would run it as a quick action (the gateway refuses those).
  for t in $THREADS; do
    api_post "/projects/$PROJECT_REF/merge_requests/$FOLLOW_UP_MR/discussions/$t/notes" \
      --data-urlencode "body=Addressed in $SHA by the coSPEC sample agent (run $RUN_ID): this thread is recorded in COSPEC_SAMPLE.md." >/dev/null
    say "replied on thread $t"
  done
  say "done: updated $BRANCH (merge request !$FOLLOW_UP_MR)"
  exit 0
fi

TARGET=${COSPEC_TARGET_BRANCH:-$(git rev-parse --abbrev-ref HEAD)}
[ "$TARGET" != "HEAD" ] || fail "the clone has a detached HEAD; set COSPEC_TARGET_BRANCH"

say "editing COSPEC_SAMPLE.md on branch $BRANCH (from $TARGET)"
git checkout -q -b "$BRANCH"
{
  printf '# %s\n\n' "$TASK_TITLE"
  printf 'Written by the coSPEC sample agent for run %s.\n\n' "$RUN_ID"
  sed 's/^/> /' "$COSPEC_TASK_FILE"
} >COSPEC_SAMPLE.md
git add COSPEC_SAMPLE.md
git -c user.name="coSPEC sample agent" -c user.email="sample-agent@cospec.invalid" commit -q -m "Sample agent: $TASK_TITLE"
say "committed $(git rev-parse --short HEAD)"

say "pushing $BRANCH"
git_ push -q origin "HEAD:refs/heads/$BRANCH" || fail "git push of $BRANCH failed"
say "pushed $BRANCH"

say "opening a merge request into $TARGET"
MR=$(api_post "/projects/$PROJECT_REF/merge_requests" \
  --data-urlencode "source_branch=$BRANCH" \
  --data-urlencode "target_branch=$TARGET" \
  --data-urlencode "title=$TASK_TITLE" \
  --data-urlencode "description=Opened by the coSPEC sample agent (run $RUN_ID).")
MR_IID=$(printf '%s' "$MR" | json_number iid)
MR_URL=$(printf '%s' "$MR" | json_web_url merge_requests)
[ -n "$MR_IID" ] || fail "GitLab's answer to the merge request has no iid: $MR"
say "opened merge request !$MR_IID $MR_URL"

say "filing an issue"
ISSUE=$(api_post "/projects/$PROJECT_REF/issues" \
  --data-urlencode "title=Follow-up: $TASK_TITLE" \
  --data-urlencode "description=Filed by the coSPEC sample agent (run $RUN_ID) after opening !$MR_IID.")
ISSUE_IID=$(printf '%s' "$ISSUE" | json_number iid)
ISSUE_URL=$(printf '%s' "$ISSUE" | json_web_url issues)
[ -n "$ISSUE_IID" ] || fail "GitLab's answer to the issue has no iid: $ISSUE"
say "filed issue #$ISSUE_IID $ISSUE_URL"

say "done: branch $BRANCH, merge request !$MR_IID, issue #$ISSUE_IID"
