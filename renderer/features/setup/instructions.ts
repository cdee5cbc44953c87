// Where and how to paste a public key on each provider, in the provider's own words for
// buttons and fields, so users can follow along on the page they open.

export interface KeyInstructions {
  account: string[];
  deploy: string[];
  /** `{repo}` = OWNER/REPO; null when the provider has no per-repository page we can link. */
  deployUrl: string | null;
  deployCanWrite: boolean;
}

export const INSTRUCTIONS: Record<string, KeyInstructions> = {
  github: {
    account: [
      'Open the GitHub page with the button below (Settings → SSH and GPG keys → New SSH key).',
      'Title: a name for this computer, for example "Work laptop".',
      'Key type: Authentication Key.',
      'Key: paste the public key you copied, then press "Add SSH key".',
    ],
    deploy: [
      'Open the repository on GitHub, then Settings → Deploy keys → Add deploy key.',
      'Title: a name for this computer or server.',
      'Key: paste the public key you copied.',
      'Tick "Allow write access" only if this key must push; leave it off for read-only (clone and pull).',
      'Press "Add key". One deploy key works for one repository only.',
    ],
    deployUrl: 'https://github.com/{repo}/settings/keys/new',
    deployCanWrite: true,
  },
  gitlab: {
    account: [
      'Open the GitLab page with the button below (your avatar → Edit profile → SSH Keys → Add new key).',
      'Key: paste the public key you copied.',
      'Title: a name for this computer; Usage type: Authentication & Signing.',
      'Optionally set an expiration date, then press "Add key".',
    ],
    deploy: [
      'Open the project on GitLab, then Settings → Repository → Deploy keys → Add new key.',
      'Title: a name for this computer or server; Key: paste the public key.',
      'Tick "Grant write permissions to this key" only if it must push; otherwise it is read-only.',
      'Press "Add key".',
    ],
    deployUrl: 'https://gitlab.com/{repo}/-/settings/repository#js-deploy-keys-settings',
    deployCanWrite: true,
  },
  bitbucket: {
    account: [
      'Open the Bitbucket page with the button below (settings gear → Personal Bitbucket settings → SSH keys).',
      'Press "Add key", give it a label such as "Work laptop".',
      'Key: paste the public key you copied, then press "Add key".',
    ],
    deploy: [
      'Open the repository on Bitbucket, then Repository settings → Access keys → Add key.',
      'Label: a name for this computer or server; Key: paste the public key.',
      'Bitbucket access keys are always read-only: they can clone and pull but never push. Use an account key to push.',
    ],
    deployUrl: 'https://bitbucket.org/{repo}/admin/access-keys/',
    deployCanWrite: false,
  },
};

/** Builds the repository's deploy-key page address, or null until OWNER/REPO looks valid. */
export function deployKeyUrl(template: string | null, repo: string): string | null {
  if (!template || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo.trim())) return null;
  return template.replace('{repo}', repo.trim());
}
