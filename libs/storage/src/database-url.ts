// A PostgreSQL URL as it may appear in messages and logs: who and where, never the password.

/** "postgres://user@host:port/database" from a connection URL; query parameters are left out too. */
export function describeDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'an unparseable PostgreSQL URL';
  }
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const base = `${parsed.protocol}//${user}${parsed.host}${database ? `/${database}` : ''}`;
  // pg also takes the host (often a socket folder) as ?host=; keep it, since it says where we tried.
  const hostParam = parsed.searchParams.get('host');
  return !parsed.host && hostParam ? `${base}?host=${hostParam}` : base;
}

/** Removes the URL's password from a message, in case a driver echoed the connection string. */
export function redactPassword(message: string, url: string): string {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return message.split(url).join('<database url>');
  }
  if (!password) return message;
  return message.split(password).join('***').split(decodeURIComponent(password)).join('***');
}
