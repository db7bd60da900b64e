import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { jobSpecSchema } from '@cohort/jobs';
import { z } from 'zod';

/**
 * The OpenAPI document at /docs/openapi.json and the interactive page at /docs (Swagger UI, served from the
 * package itself: no CDN). Routes and methods come from the controllers; the job spec's schema from the same zod
 * schema that validates it, so the two cannot disagree.
 */
export function serveApiDocs(app: INestApplication, devIssuer: boolean): void {
  const builder = new DocumentBuilder()
    .setTitle('Cohort gateway')
    .setDescription(
      'Submit and follow federated-learning jobs, download released models with their privacy statement, review ' +
        'and verify the audit trail, enrol hospitals. Every route but /healthz, /health/live, /health/ready, /metrics and /dev-issuer needs a bearer token ' +
        '(roles: researcher, compliance, site-admin, admin). Errors are JSON: {"error": {"code", "message", "details"}}.' +
        (devIssuer
          ? ' This gateway signs in with the development issuer: `cohort dev token --role researcher`.'
          : ''),
    )
    .setVersion('1')
    .addBearerAuth();
  const document = SwaggerModule.createDocument(app, builder.build());
  const components = (document.components ??= {});
  components.schemas = {
    ...components.schemas,
    JobSpec: z.toJSONSchema(jobSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >,
    Error: {
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message', 'details'],
          properties: {
            code: { type: 'string', example: 'JOB_SPEC_INVALID' },
            message: { type: 'string' },
            details: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
  const submit = document.paths['/v1/jobs']?.post;
  if (submit) {
    submit.requestBody = {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/JobSpec' } } },
    };
  }
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item as Record<string, unknown>)) {
      if (typeof op !== 'object' || op === null || !('responses' in op)) continue;
      const responses = (op as { responses: Record<string, unknown> }).responses;
      for (const status of ['400', '401', '403', '404']) {
        responses[status] ??= {
          description: {
            '400': 'invalid request',
            '401': 'no valid token',
            '403': 'not allowed',
            '404': 'not found',
          }[status],
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
      }
    }
  }
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json', ui: true });
}
