import { ConfigurationError, readEnvironment } from '@cohort/config';
import {
  DEFAULT_AGGREGATOR_URL,
  DEFAULT_GATEWAY_PORT,
  GatewayConfig,
  normalizeAggregatorUrl,
} from './config.js';

describe('GatewayConfig', () => {
  it('binds to loopback on the default port, with a 1 MB body limit', () => {
    const config = GatewayConfig.from({ aggregatorUrl: '10.0.0.5:50051', insecureTransport: true });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: DEFAULT_GATEWAY_PORT,
      aggregatorUrl: '10.0.0.5:50051',
      bodyLimitBytes: 1024 * 1024,
    });
  });

  it('takes the aggregator from options before the environment, and the default last', () => {
    expect(GatewayConfig.from({ aggregatorUrl: 'agg:1', insecureTransport: true }).aggregatorUrl).toBe(
      'agg:1',
    );
    expect(GatewayConfig.from({ insecureTransport: true }).aggregatorUrl).toBe(
      readEnvironment().aggregatorUrl ?? DEFAULT_AGGREGATOR_URL,
    );
  });

  it('accepts port 0', () => {
    expect(GatewayConfig.from({ port: 0, insecureTransport: true }).port).toBe(0);
  });

  it.each([
    { port: -1 },
    { port: 70000 },
    { host: '' },
    { logLevel: 'loud' as never },
    { extra: 1 } as never,
    { tlsDir: undefined },
    { tlsDir: '/nonexistent/cohort-tls' },
  ])('refuses %j with a ConfigurationError', (options) => {
    expect(() => GatewayConfig.from(options)).toThrow(ConfigurationError);
  });
});

describe('normalizeAggregatorUrl', () => {
  it.each([
    ['127.0.0.1:50051', '127.0.0.1:50051'],
    ['grpc://aggregator.internal:50051/', 'aggregator.internal:50051'],
    ['[::1]:50051', '[::1]:50051'],
    ['dns:///aggregator:50051', 'dns:///aggregator:50051'],
    ['unix:/run/cohort.sock', 'unix:/run/cohort.sock'],
  ])('%s → %s', (raw, target) => {
    expect(normalizeAggregatorUrl(raw)).toBe(target);
  });

  it.each(['http://aggregator:50051', 'aggregator', 'aggregator:0', 'aggregator:99999'])(
    'refuses %s',
    (raw) => {
      expect(() => normalizeAggregatorUrl(raw)).toThrow(/expected host:port/);
    },
  );
});
