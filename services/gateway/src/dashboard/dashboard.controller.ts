import { ApiExcludeController } from '@nestjs/swagger';
import { Controller, Get, Inject, Param, Req, Res, VERSION_NEUTRAL } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { GatewayErrorCode, GatewayException } from '../common/gateway.exception.js';
import { ASSET_NAME, type DashboardAsset } from './dashboard-assets.js';

export const DASHBOARD_ASSETS = Symbol('DASHBOARD_ASSETS');

/**
 * Everything the page may load comes from this gateway: a CDN script could read the token the page holds, so the
 * policy refuses other origins outright, and inline script too (the page renders data from silos and users).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web dashboard's static files under /ui/, without sign-in: the page holds no data of its own, it signs in
 * with a bearer token and calls /v1 like any other client.
 */
@ApiExcludeController()
@Controller({ version: VERSION_NEUTRAL })
@Public()
export class DashboardController {
  constructor(@Inject(DASHBOARD_ASSETS) private readonly assets: ReadonlyMap<string, DashboardAsset>) {}

  // Relative redirects keep working when a proxy serves the gateway under a path prefix.
  @Get()
  root(@Res() res: Response): void {
    res.redirect(302, 'ui/');
  }

  @Get('ui')
  index(@Req() req: Request, @Res() res: Response): void {
    // The page's own files are addressed relative to it, so it must be loaded as a folder.
    if (!req.path.endsWith('/')) {
      res.redirect(301, 'ui/');
      return;
    }
    this.send(res, 'index.html');
  }

  @Get('ui/:file')
  file(@Param('file') file: string, @Res() res: Response): void {
    this.send(res, file);
  }

  private send(res: Response, name: string): void {
    const asset = ASSET_NAME.test(name) ? this.assets.get(name) : undefined;
    if (!asset) {
      throw new GatewayException(
        GatewayErrorCode.NOT_FOUND,
        this.assets.size === 0
          ? 'the dashboard is not installed with this gateway (services/gateway/web is missing)'
          : `the dashboard has no file named ${JSON.stringify(name)}`,
      );
    }
    res.set({
      'Content-Type': asset.contentType,
      // Revalidated on every load, so a gateway upgrade never leaves an old script next to a new page.
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
    res.send(asset.body);
  }
}
