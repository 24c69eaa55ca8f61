import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * GitLab's pre-receive checks for protected branches, as a real git hook: git http-backend runs it
 * during receive-pack, so a refused push reaches the client the way GitLab's does
 * ("remote: GitLab: …" and "[remote rejected] … (pre-receive hook declined)").
 * The server passes the pusher's access level and the project's rules in the environment:
 * GL_ACCESS_LEVEL=30, GL_PROTECTED="main:40:0 release/*:40:0" (pattern:push level:force allowed).
 */
const PRE_RECEIVE = `#!/bin/sh
set -f
zero=0000000000000000000000000000000000000000
status=0
while read old new ref; do
  case "$ref" in refs/heads/*) branch=\${ref#refs/heads/} ;; *) continue ;; esac
  for rule in $GL_PROTECTED; do
    pattern=\${rule%%:*}; rest=\${rule#*:}; push=\${rest%%:*}; force=\${rest#*:}
    case "$branch" in
      $pattern)
        if [ "$new" = "$zero" ]; then
          echo "GitLab: You can only delete protected branches using the web interface." >&2; status=1
        elif [ "$GL_ACCESS_LEVEL" -lt "$push" ]; then
          echo "GitLab: You are not allowed to push code to protected branches on this project." >&2; status=1
        elif [ "$old" != "$zero" ] && [ "$force" != 1 ] && ! git merge-base --is-ancestor "$old" "$new"; then
          echo "GitLab: You are not allowed to force push code to a protected branch on this project." >&2; status=1
        fi
        break ;;
    esac
  done
done
exit $status
`;

/**
 * Hands each push's ref updates and push options back to the server (a file named by GL_PUSH_LOG),
 * which acts on them after the push the way GitLab's PostReceive does (push-options.ts).
 */
const POST_RECEIVE = `#!/bin/sh
[ -n "$GL_PUSH_LOG" ] || exit 0
i=0
while [ "$i" -lt "\${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "v=\\\${GIT_PUSH_OPTION_$i}"
  printf 'option %s\\n' "$v" >> "$GL_PUSH_LOG"
  i=$((i + 1))
done
while read old new ref; do
  printf 'ref %s %s %s\\n' "$old" "$new" "$ref" >> "$GL_PUSH_LOG"
done
exit 0
`;

/** Writes the hooks folder used by every repository (via core.hooksPath) and returns its path. */
export function writeHooks(dataDir: string): string {
  const dir = join(dataDir, 'hooks');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pre-receive');
  writeFileSync(file, PRE_RECEIVE);
  chmodSync(file, 0o755);
  const post = join(dir, 'post-receive');
  writeFileSync(post, POST_RECEIVE);
  chmodSync(post, 0o755);
  return dir;
}
