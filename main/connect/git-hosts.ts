/**
 * Published SSH facts for the big Git hosts: host key fingerprints, port-443 endpoints,
 * greetings, where to add a key. This is KeyDock's own copy of the data: checked on 2026-11-23
 * against each provider's documentation, fingerprints recomputed from the published keys, plus
 * the superseded RSA host keys (facts and provider pages: docs/agent-protocol.md §5).
 * The add-key and deploy-key URLs are the providers' settings pages as commonly documented
 * (not part of the checked data). Nothing is fetched
 * at run time.
 */

export interface GitHostPreset {
  id: 'github' | 'gitlab' | 'bitbucket';
  name: string;
  host: string;
  port: number;
  user: string;
  /** Other endpoints; port 443 ones get through firewalls that block 22. */
  alternates: Array<{ host: string; port: number; sameHostKeys: boolean }>;
  hostKeys: Array<{ type: string; fingerprint: string; publicKey: string }>;
  /** Keys the provider replaced: a known_hosts line with one is stale. */
  retiredHostKeys: Array<{ type: string; fingerprint: string }>;
  greeting: { text: string; stream: 'stdout' | 'stderr'; exitCode: number };
  addKeyUrl: string;
  /** `{repo}` = OWNER/REPO. */
  deployKeyUrl: string;
  deployKeyHelp: string;
}

export const GIT_HOST_PRESETS: readonly GitHostPreset[] = [
  {
    "id": "github",
    "name": "GitHub",
    "host": "github.com",
    "port": 22,
    "user": "git",
    "alternates": [
      {
        "host": "ssh.github.com",
        "port": 443,
        "sameHostKeys": true
      }
    ],
    "hostKeys": [
      {
        "type": "ssh-ed25519",
        "fingerprint": "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
        "publicKey": "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
      },
      {
        "type": "ecdsa-sha2-nistp256",
        "fingerprint": "SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
        "publicKey": "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg="
      },
      {
        "type": "ssh-rsa",
        "fingerprint": "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
        "publicKey": "AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk="
      }
    ],
    "retiredHostKeys": [
      {
        "type": "ssh-rsa",
        "fingerprint": "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
      }
    ],
    "greeting": {
      "text": "Hi {name}! You've successfully authenticated, but GitHub does not provide shell access.",
      "stream": "stderr",
      "exitCode": 1
    },
    "addKeyUrl": "https://github.com/settings/ssh/new",
    "deployKeyUrl": "https://github.com/{repo}/settings/keys/new",
    "deployKeyHelp": "A deploy key belongs to one repository. It is read-only unless you tick \"Allow write access\" when adding it; the same public key cannot be used by two repositories or by an account."
  },
  {
    "id": "gitlab",
    "name": "GitLab.com",
    "host": "gitlab.com",
    "port": 22,
    "user": "git",
    "alternates": [
      {
        "host": "altssh.gitlab.com",
        "port": 443,
        "sameHostKeys": true
      }
    ],
    "hostKeys": [
      {
        "type": "ssh-ed25519",
        "fingerprint": "SHA256:eUXGGm1YGsMAS7vkcx6JOJdOGHPem5gQp4taiCfCLB8",
        "publicKey": "AAAAC3NzaC1lZDI1NTE5AAAAIAfuCHKVTjquxvt6CM6tdG4SLp1Btn/nOeHHE5UOzRdf"
      },
      {
        "type": "ecdsa-sha2-nistp256",
        "fingerprint": "SHA256:HbW3g8zUjNSksFbqTiUWPWg2Bq1x8xdGUrliXFzSnUw",
        "publicKey": "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFSMqzJeV9rUzU4kWitGjeR4PWSa29SPqJ1fVkhtj3Hw9xjLVXVYrU9QlYWrOLXBpQ6KWjbjTDTdDkoohFzgbEY="
      },
      {
        "type": "ssh-rsa",
        "fingerprint": "SHA256:ROQFvPThGrW4RuWLoL9tq9I9zJ42fK4XywyRtbOz/EQ",
        "publicKey": "AAAAB3NzaC1yc2EAAAADAQABAAABAQCsj2bNKTBSpIYDEGk9KxsGh3mySTRgMtXL583qmBpzeQ+jqCMRgBqB98u3z++J1sKlXHWfM9dyhSevkMwSbhoR8XIq/U0tCNyokEi/ueaBMCvbcTHhO7FcwzY92WK4Yt0aGROY5qX2UKSeOvuP4D6TPqKF1onrSzH9bx9XUf2lEdWT/ia1NEKjunUqu1xOB/StKDHMoX4/OKyIzuS0q/T1zOATthvasJFoPrAjkohTyaDUz2LN5JoH839hViyEG82yB+MjcFV5MU3N1l1QL3cVUCh93xSaua1N85qivl+siMkPGbO5xR/En4iEY6K2XPASUEMaieWVNTRCtJ4S8H+9"
      }
    ],
    "retiredHostKeys": [],
    "greeting": {
      "text": "Welcome to GitLab, @{name}!",
      "stream": "stdout",
      "exitCode": 0
    },
    "addKeyUrl": "https://gitlab.com/-/user_settings/ssh_keys",
    "deployKeyUrl": "https://gitlab.com/{repo}/-/settings/repository#js-deploy-keys-settings",
    "deployKeyHelp": "A deploy key is read-only unless you enable \"Grant write permissions to this key\"; it can be enabled on several projects."
  },
  {
    "id": "bitbucket",
    "name": "Bitbucket Cloud",
    "host": "bitbucket.org",
    "port": 22,
    "user": "git",
    "alternates": [
      {
        "host": "ssh.bitbucket.org",
        "port": 22,
        "sameHostKeys": false
      },
      {
        "host": "altssh.bitbucket.org",
        "port": 443,
        "sameHostKeys": true
      }
    ],
    "hostKeys": [
      {
        "type": "ssh-ed25519",
        "fingerprint": "SHA256:ybgmFkzwOSotHTHLJgHO0QN8L0xErw6vd0VhFA9m3SM",
        "publicKey": "AAAAC3NzaC1lZDI1NTE5AAAAIIazEu89wgQZ4bqs3d63QSMzYVa0MuJ2e2gKTKqu+UUO"
      },
      {
        "type": "ecdsa-sha2-nistp256",
        "fingerprint": "SHA256:FC73VB6C4OQLSCrjEayhMp9UMxS97caD/Yyi2bhW/J0",
        "publicKey": "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPIQmuzMBuKdWeF4+a2sjSSpBK0iqitSQ+5BM9KhpexuGt20JpTVM7u5BDZngncgrqDMbWdxMWWOGtZ9UgbqgZE="
      },
      {
        "type": "ssh-rsa",
        "fingerprint": "SHA256:46OSHA1Rmj8E8ERTC6xkNcmGOw9oFxYr0WF6zWW8l1E",
        "publicKey": "AAAAB3NzaC1yc2EAAAADAQABAAABgQDQeJzhupRu0u0cdegZIa8e86EG2qOCsIsD1Xw0xSeiPDlCr7kq97NLmMbpKTX6Esc30NuoqEEHCuc7yWtwp8dI76EEEB1VqY9QJq6vk+aySyboD5QF61I/1WeTwu+deCbgKMGbUijeXhtfbxSxm6JwGrXrhBdofTsbKRUsrN1WoNgUa8uqN1Vx6WAJw1JHPhglEGGHea6QICwJOAr/6mrui/oB7pkaWKHj3z7d1IC4KWLtY47elvjbaTlkN04Kc/5LFEirorGYVbt15kAUlqGM65pk6ZBxtaO3+30LVlORZkxOh+LKL/BvbZ/iRNhItLqNyieoQj/uh/7Iv4uyH/cV/0b4WDSd3DptigWq84lJubb9t/DnZlrJazxyDCulTmKdOR7vs9gMTo+uoIrPSb8ScTtvw65+odKAlBj59dhnVp9zd7QUojOpXlL62Aw56U4oO+FALuevvMjiWeavKhJqlR7i5n9srYcrNV7ttmDw7kf/97P5zauIhxcjX+xHv4M="
      }
    ],
    "retiredHostKeys": [
      {
        "type": "ssh-rsa",
        "fingerprint": "SHA256:zzXQOXSRBEiUtuE8AikJYKwbHaxvSc0ojez9YXaGp1A"
      }
    ],
    "greeting": {
      "text": "authenticated via ssh key.\n\nYou can use git to connect to Bitbucket. Shell access is disabled",
      "stream": "stdout",
      "exitCode": 0
    },
    "addKeyUrl": "https://bitbucket.org/account/settings/ssh-keys/",
    "deployKeyUrl": "https://bitbucket.org/{repo}/admin/access-keys/",
    "deployKeyHelp": "An access key gives read-only access to one repository (Bitbucket access keys cannot push); use an account key to push."
  }
];
