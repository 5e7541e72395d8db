/**
 * `WWW-Authenticate` parsing (RFC 7235): a list of challenges, each a scheme with `key=value`
 * or `key="quoted value"` parameters. Hostile input (huge, unbalanced quotes) gives a bounded
 * result: at most 16 challenges and 32 parameters each, headers over 16 KiB refused.
 *
 *   parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"')
 *   // [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' } }]
 */
export interface Challenge {
  /** Lower-cased scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Lower-cased parameter names to their unquoted values. */
  params: Record<string, string>;
}

const MAX_HEADER = 16 * 1024;
const MAX_CHALLENGES = 16;
const MAX_PARAMS = 32;
const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

export function parseChallenges(header: string | null | undefined): Challenge[] {
  if (!header || header.length > MAX_HEADER) return [];
  const challenges: Challenge[] = [];
  let i = 0;
  const skipSpace = () => { while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++; };
  const readToken = () => {
    const start = i;
    while (i < header.length && TOKEN.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  while (i < header.length && challenges.length < MAX_CHALLENGES) {
    skipSpace();
    while (header[i] === ',') { i++; skipSpace(); }
    const scheme = readToken();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: Object.create(null) };
    challenges.push(challenge);
    for (let count = 0; count < MAX_PARAMS; count++) {
      skipSpace();
      const mark = i;
      const name = readToken();
      skipSpace();
      if (!name || header[i] !== '=') { i = mark; break; }
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < header.length && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < header.length) i++;
          value += header[i++];
        }
        if (header[i] !== '"') return challenges.slice(0, -1); // unterminated: drop the broken challenge
        i++;
      } else {
        value = readToken();
      }
      challenge.params[name.toLowerCase()] = value;
      skipSpace();
      if (header[i] === ',') i++;
    }
  }
  return challenges;
}
