import { Module } from '@nestjs/common';
import { DASHBOARD_ASSETS, DashboardController } from './dashboard.controller.js';
import { loadDashboardAssets } from './dashboard-assets.js';

/** The web dashboard at /ui/ (static files from services/gateway/web; `/` redirects there). */
@Module({
  controllers: [DashboardController],
  providers: [{ provide: DASHBOARD_ASSETS, useFactory: () => loadDashboardAssets() }],
})
export class DashboardModule {}
