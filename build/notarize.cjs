// macOS notarization: runs only when Apple credentials are present, otherwise says so and skips.
exports.default = async function notarize(context) {
  if (context.electronPlatformName !== 'darwin') return;
  const { APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID } = process.env;
  if (!APPLE_ID || !APPLE_APP_SPECIFIC_PASSWORD || !APPLE_TEAM_ID) {
    console.log('notarize: skipped (set APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID to notarize)');
    return;
  }
  const { notarize: run } = require('@electron/notarize');
  const appName = context.packager.appInfo.productFilename;
  await run({ appPath: `${context.appOutDir}/${appName}.app`, appleId: APPLE_ID, appleIdPassword: APPLE_APP_SPECIFIC_PASSWORD, teamId: APPLE_TEAM_ID });
};
