import type { FastifyRequest } from 'fastify';
import type { Locale } from '../errors.ts';

/** The language of a response: `?lang=`, then Accept-Language, then the user's profile, then English. */
export function requestLocale(req: FastifyRequest): Locale {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  if (q === 'ru' || q === 'en') return q;
  const header = req.headers['accept-language'];
  if (typeof header === 'string') {
    const ranked = header
      .split(',')
      .map((part) => {
        const [tag, ...params] = part.trim().split(';');
        const qv = params.find((p) => p.trim().startsWith('q='));
        return {
          lang: tag.trim().slice(0, 2).toLowerCase(),
          q: qv ? Number(qv.trim().slice(2)) : 1,
        };
      })
      .filter((x) => x.lang === 'ru' || x.lang === 'en')
      .sort((a, b) => b.q - a.q);
    if (ranked.length > 0) return ranked[0].lang as Locale;
  }
  return req.principal?.locale ?? 'en';
}
