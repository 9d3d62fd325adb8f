// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON.
type Json = Record<string, any>;

const AUTH: Record<string, string> = {
  accessToken: 'access token',
  refreshToken: 'refresh token',
  adminKey: 'admin API key',
};

/**
 * The API reference page (docs/api-reference.md) rendered from the OpenAPI document: one section per tag, one
 * entry per operation with its authentication, parameters, body fields and answers. Written by
 * `npm run api-reference`; a test fails while the committed page differs.
 */
export function openApiMarkdown(document: Json): string {
  const lines: string[] = [
    '# HTTP API reference',
    '',
    '<!-- Generated from the OpenAPI document by `npm run api-reference`; do not edit by hand. -->',
    '',
    `Every route Gatehouse serves, from the OpenAPI 3.1 document it publishes at`,
    '`GET /api/openapi.json` (load it into any OpenAPI tool). The guide to the API — tokens, errors, what',
    'clients send — is [http-api.md](http-api.md). Every refusal is `{ error, error_code }` with a 4xx status',
    '(503 while the database is away).',
    '',
  ];
  const byTag = new Map<string, { method: string; path: string; op: Json }[]>();
  for (const [path, item] of Object.entries(document.paths as Json))
    for (const [method, op] of Object.entries(item as Json)) {
      const tag = (op.tags?.[0] as string) ?? 'Other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)?.push({ method, path, op });
    }
  for (const { name } of document.tags as { name: string }[]) {
    lines.push(`## ${name}`, '');
    for (const { method, path, op } of byTag.get(name) ?? []) {
      lines.push(`### \`${method.toUpperCase()} ${path}\``, '', `${op.summary}.`, '');
      if (op.description) lines.push(op.description, '');
      const auth = (op.security as Json[]).map((s) => AUTH[Object.keys(s)[0] ?? ''] ?? 'none');
      lines.push(`- **Auth:** ${auth.length ? `${auth.join(', or ')} (\`Authorization: Bearer …\`)` : 'none'}`);
      const query = ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
      if (query.length)
        lines.push(`- **Query:** ${query.map((p) => `\`${p.name}\` — ${p.description ?? ''}`.trim()).join('; ')}`);
      const body = op.requestBody?.content as Json | undefined;
      if (body?.['application/json']) {
        const schema = body['application/json'].schema as Json;
        if (schema.anyOf)
          lines.push(
            '- **Body (JSON), one of:**',
            ...(schema.anyOf as Json[]).map((alt) => `  - \`${alt.title}\`: ${fields(alt)}`),
          );
        else lines.push(`- **Body (JSON):** ${fields(schema)}`);
      }
      if (body?.['application/x-www-form-urlencoded'])
        lines.push(`- **Body (form):** ${fields(body['application/x-www-form-urlencoded'].schema)}`);
      for (const [status, answer] of Object.entries(op.responses as Json)) {
        if (answer.$ref) continue;
        const json = answer.content?.['application/json']?.schema as Json | undefined;
        const kind = json ? ` ${shape(json)}` : answer.content?.['text/html'] ? ' (HTML page)' : '';
        lines.push(`- **${status}**${kind} — ${answer.description}`);
      }
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The fields of an object schema: `` `name` (string, required) ``; or the shape of anything else. */
function fields(schema: Json): string {
  if (schema.type !== 'object' || !schema.properties) return shape(schema);
  const required = new Set<string>(schema.required ?? []);
  const list = Object.entries(schema.properties as Json).map(
    ([name, prop]) => `\`${name}\` (${typeOf(prop)}${required.has(name) ? ', required' : ''})`,
  );
  const closed = schema.additionalProperties === false ? '; no other fields' : '';
  return list.length ? `${list.join(', ')}${closed}` : `\`{}\`${closed}`;
}

/** A compact picture of a JSON value's shape: `{ access_token, user_id }`, `[{ _id, name }]`. */
function shape(schema: Json): string {
  if (schema.anyOf) return (schema.anyOf as Json[]).map(shape).join(' or ');
  if (schema.type === 'array') return `[${schema.items ? shape(schema.items) : ''}]`;
  if (schema.type === 'object' && schema.properties) {
    const names = Object.keys(schema.properties);
    return names.length ? `\`{ ${names.join(', ')} }\`` : '`{}`';
  }
  return `(${typeOf(schema)})`;
}

function typeOf(schema: Json): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  if (schema.anyOf) return (schema.anyOf as Json[]).map(typeOf).join(' \\| ');
  return schema.type ?? 'any';
}
