/**
 * The two requests nothing can show without — the session and the profile's preferences
 * (start page, menu) — leave as soon as the code starts running, before React, the translations
 * and the pages are evaluated; `api()` takes the answers over. Imported first by main.tsx, so the
 * bundler places it first. Each answer is used once; later calls ask the server again.
 */
const early = new Map<string, Promise<Response>>();
if (typeof window !== 'undefined' && typeof fetch === 'function') {
  for (const path of ['/auth/me', '/me/preferences']) {
    const answer = fetch(`/api/v1${path}`, { credentials: 'same-origin' });
    answer.catch(() => {}); // a network failure surfaces when api() takes it over
    early.set(path, answer);
  }
}

export function takeEarly(path: string): Promise<Response> | undefined {
  const answer = early.get(path);
  early.delete(path);
  return answer;
}
