// electron-builder configuration. Signing material comes only from the environment (see README
// "Distributing"); without it the build is unsigned and its artifact names say so.
const env = process.env;

const macSigned = Boolean(env.CSC_LINK || env.CSC_NAME);
const winAzure = Boolean(env.AZURE_TENANT_ID && env.AZURE_CLIENT_ID && env.COSPEC_AZURE_SIGNING_ENDPOINT);
const winSigned = Boolean(env.WIN_CSC_LINK || env.CSC_LINK || winAzure);
if (env.COSPEC_GITLAB_OAUTH_CLIENT_ID && !/^[A-Za-z0-9_-]{8,128}$/.test(env.COSPEC_GITLAB_OAUTH_CLIENT_ID))
  throw new Error('COSPEC_GITLAB_OAUTH_CLIENT_ID is not a GitLab application id (letters, digits, - and _).');
const unsigned = (signed) => (signed ? '' : '-UNSIGNED');

/** @type {import('electron-builder').Configuration} */
module.exports = {
  appId: 'dev.cospec.desktop',
  productName: 'coSPEC Desktop',
  executableName: 'cospec-desktop',
  copyright: 'Copyright © coSPEC',
  directories: { output: 'dist', buildResources: 'resources/build' },
  files: ['out/**', 'package.json', '!**/*.map'],
  extraResources: [{ from: 'resources/sandbox', to: 'sandbox' }, { from: 'resources/agents', to: 'agents' }],
  asar: true,
  // The gitlab.com OAuth application of a vendor build, baked into the packaged package.json so its
  // users never configure it (read by src-main/services/auth/built-in.ts).
  ...(env.COSPEC_GITLAB_OAUTH_CLIENT_ID
    ? { extraMetadata: { cospec: { gitlabComClientId: env.COSPEC_GITLAB_OAUTH_CLIENT_ID } } }
    : {}),
  // Every installer registers the deep-link scheme the OAuth redirect comes back on.
  protocols: [{ name: 'coSPEC Desktop', schemes: ['cospec'] }],
  // Electron fuses, flipped at packaging (Electron security checklist item 20).
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },
  mac: {
    target: [
      { target: 'dmg', arch: ['universal'] },
      { target: 'zip', arch: ['universal'] },
    ],
    category: 'public.app-category.developer-tools',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'resources/build/entitlements.mac.plist',
    entitlementsInherit: 'resources/build/entitlements.mac.inherit.plist',
    // Notarization runs only when APPLE_API_KEY/APPLE_API_KEY_ID/APPLE_API_ISSUER (or APPLE_ID …) are set.
    notarize: Boolean(env.APPLE_API_KEY || env.APPLE_ID || env.APPLE_KEYCHAIN_PROFILE),
    artifactName: `\${productName}-\${version}-mac-\${arch}${unsigned(macSigned)}.\${ext}`,
  },
  win: {
    target: [
      { target: 'nsis', arch: ['x64', 'arm64'] },
      { target: 'msi', arch: ['x64'] },
    ],
    artifactName: `\${productName}-\${version}-win-\${arch}${unsigned(winSigned)}.\${ext}`,
    // The `cospec` command: a launcher that runs the app binary as the CLI (resources/build/win/bin/cospec.cmd).
    extraResources: [{ from: 'resources/build/win/bin', to: 'bin' }],
    ...(winAzure
      ? {
          azureSignOptions: {
            publisherName: env.COSPEC_WIN_PUBLISHER_NAME ?? 'coSPEC',
            endpoint: env.COSPEC_AZURE_SIGNING_ENDPOINT,
            certificateProfileName: env.COSPEC_AZURE_CERT_PROFILE,
            codeSigningAccountName: env.COSPEC_AZURE_SIGNING_ACCOUNT,
          },
        }
      : {}),
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    // Puts resources\bin (cospec.cmd) on the user's PATH and removes it on uninstall.
    include: 'resources/build/installer.nsh',
  },
  msi: { perMachine: true },
  linux: {
    target: ['AppImage', 'deb', 'rpm'],
    category: 'Development',
    maintainer: 'coSPEC <support@cospec.invalid>',
    // The .desktop entry declares the scheme so xdg-open hands cospec:// links to the app.
    mimeTypes: ['x-scheme-handler/cospec'],
    desktop: { entry: { MimeType: 'x-scheme-handler/cospec;', StartupWMClass: 'coSPEC Desktop' } },
    artifactName: '${productName}-${version}-linux-${arch}.${ext}',
  },
  // The `cospec` command on the PATH: /usr/bin/cospec, a file the package owns (so removing the
  // package removes it), which runs the app binary as the CLI (resources/build/linux/cospec).
  deb: { fpm: [`${__dirname}/linux/cospec=/usr/bin/cospec`] },
  rpm: { fpm: [`${__dirname}/linux/cospec=/usr/bin/cospec`] },
  // Updates: a generic feed an admin hosts (COSPEC_UPDATE_URL), e.g. GitLab release assets or any HTTPS folder.
  publish: env.COSPEC_UPDATE_URL ? [{ provider: 'generic', url: env.COSPEC_UPDATE_URL }] : null,
  // The Electron zip cannot be downloaded on machines without internet; point at an unpacked one.
  ...(env.COSPEC_ELECTRON_DIST ? { electronDist: env.COSPEC_ELECTRON_DIST } : {}),
};
