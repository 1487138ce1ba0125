import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';

/**
 * The dashboard (issue 15 §1), served by the agent itself on the API port: `GET /` is its page, `/assets/*` its
 * script, style sheet and icon, as `npm run build` bundled them into dist/apps/dashboard (scripts/bundle-dashboard.cjs).
 * No CDN and no outside request: clusters may have no internet. The page and its assets are served without
 * authentication (they hold no data); the data comes from the REST API, which keeps its own.
 *
 * Files are read once, at start, and kept in memory with their gzip: the whole page is under 250 KB.
 */
export const DASHBOARD_DIR = path.join(__dirname, '..', '..', '..', 'dashboard');

/**
 * Only the agent's own origin, no inline script or style, no plugin, no framing; the page's script sets styles
 * through the CSSOM (Chart.js, preact), which `style-src 'self'` allows.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** `app-<HASH>.js`: named by content by esbuild, so it may be cached for good. */
const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

/** Reads the built dashboard; undefined when it was not built (the agent then answers `/` with a 404 saying so). */
export function loadDashboard(dir = DASHBOARD_DIR): Map<string, Asset> | undefined {
  const index = path.join(dir, 'index.html');
  if (!fs.existsSync(index)) return undefined;
  const assets = new Map<string, Asset>();
  const add = (urlPath: string, file: string, cacheControl: string) => {
    const type = TYPES[path.extname(file)];
    if (!type) return;
    const body = fs.readFileSync(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    assets.set(urlPath, { body, gzip: gzipSync(body, { level: 9 }), type, etag, cacheControl });
  };
  // The page is revalidated every time, so a new agent's page (naming new asset files) shows at once.
  add('/', index, 'no-cache');
  for (const name of fs.readdirSync(path.join(dir, 'assets'))) {
    add(
      `/assets/${name}`,
      path.join(dir, 'assets', name),
      HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
    );
  }
  return assets;
}

/** Express middleware for `/`, `/index.html` and `/assets/*`; every other request goes on to the API. */
export function serveDashboard(assets: Map<string, Asset> | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const urlPath = req.path === '/index.html' ? '/' : req.path;
    if (urlPath !== '/' && !urlPath.startsWith('/assets/')) {
      next();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const asset = assets?.get(urlPath);
    if (!asset) {
      const message = assets
        ? `no dashboard file ${urlPath}`
        : 'the dashboard was not built: run `npm run build` (it bundles apps/dashboard into dist/apps/dashboard)';
      res.status(404).json({ statusCode: 404, error: 'Not Found', message });
      return;
    }
    res.setHeader('Content-Type', asset.type);
    res.setHeader('Cache-Control', asset.cacheControl);
    res.setHeader('ETag', asset.etag);
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzip : asset.body;
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', String(body.length));
    res.status(200).end(req.method === 'HEAD' ? undefined : body);
  };
}
